"""Targets in the admin: their connection (a URL without a password: never a secret), tags,
directory and framework, and a "Test connection" action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .. import services, targets
from ..exceptions import UsageError
from ..models import Target


class TargetForm(forms.ModelForm):
    tags = forms.CharField(required=False, help_text="Comma-separated (eu, production…).")

    class Meta:
        model = Target
        fields = (
            "name",
            "url",
            "password_env",
            "migrations_dir",
            "framework",
            "tags",
            "lock_timeout",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["tags"] = ", ".join(self.instance.tags or [])

    def clean_url(self) -> str:
        return _checked(targets.checked_url, self.cleaned_data["url"])

    def clean_password_env(self) -> str:
        return _checked(targets.checked_env_name, self.cleaned_data["password_env"])

    def clean_tags(self) -> list[str]:
        text = self.cleaned_data.get("tags") or ""
        return _checked(targets.checked_tags, [t for t in text.split(",") if t.strip()])

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if name == "default":
            raise forms.ValidationError("'default' is the environment's target.")
        return name


def _checked(check: Any, value: Any) -> Any:
    try:
        return check(value)
    except UsageError as error:
        raise forms.ValidationError(error.message) from None


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    form = TargetForm
    list_display = ("name", "url", "tag_list", "framework", "migrations_dir")
    search_fields = ("name",)
    actions = ["test_connection"]

    @admin.display(description="tags")
    def tag_list(self, target: Target) -> str:
        return ", ".join(target.tags)

    @admin.action(description="Test connection", permissions=["view"])
    def test_connection(self, request: HttpRequest, queryset: QuerySet[Target]) -> None:
        for target in queryset:
            result = services.test_connection(target.name)
            if result.ok:
                self.message_user(request, f"{target.name}: {result.server}", messages.SUCCESS)
            else:
                self.message_user(request, f"{target.name}: {result.error}", messages.ERROR)
