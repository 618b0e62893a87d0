"""The REST API under ``/api/migrations/``: DRF viewsets that parse, call ``services``, render.

``urls.py`` routes the viewsets of ``viewsets.py``; request and response bodies are the
serializers of ``serializers.py`` and, for check, preview and detect-schema,
``preflight_serializers.py`` (``pgmigrate --json`` prints the same ones); who may do what is
``permissions.py``; ``exceptions.py`` turns every error into ``{"error": "..."}`` with its status.
"""
