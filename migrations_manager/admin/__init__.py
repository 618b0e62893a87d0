"""The Django admin's "Database" section: the Migrations panel and the Migration history.

``MigrationAdmin`` hangs the panel's pages (list, run, mark as applied) off the table-less
``Migration`` model with ``get_urls()``; ``MigrationRunAdmin`` shows the audit log read-only;
``WebhookAdmin`` and ``WebhookDeliveryAdmin`` manage the webhooks and show their deliveries;
``ChangeRequestAdmin`` shows the change requests with their Approve / Reject / Execute buttons;
``TargetAdmin`` the target databases (the panel switches between them and shows the fleet).
All register on the default admin site, so a project only lists the app in INSTALLED_APPS.
"""

from .history import MigrationEventInline, MigrationRunAdmin
from .options import MigrationAdmin
from .requests import ChangeRequestAdmin
from .targets import TargetAdmin
from .webhooks import WebhookAdmin, WebhookDeliveryAdmin

__all__ = [
    "ChangeRequestAdmin",
    "MigrationAdmin",
    "MigrationEventInline",
    "MigrationRunAdmin",
    "TargetAdmin",
    "WebhookAdmin",
    "WebhookDeliveryAdmin",
]
