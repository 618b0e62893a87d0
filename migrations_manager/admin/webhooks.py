"""Webhooks in the admin: their URL and secret are written, never shown again (the list and
the form show where the URL points); deliveries are a read-only log."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from ..models import Webhook, WebhookDelivery
from ..observability.events import Event
from ..observability.sealing import seal
from .columns import timestamp_column

KEEP = "Leave empty to keep the current one."


class WebhookForm(forms.ModelForm):
    url = forms.URLField(
        label="URL",
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"autocomplete": "off", "size": 80}),
        help_text="Where deliveries are POSTed (http or https). Kept encrypted.",
    )
    secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Signs every delivery (X-Truss-Signature, HMAC-SHA256). Kept encrypted.",
    )
    events = forms.MultipleChoiceField(
        choices=[(event.value, event.value) for event in Event],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Webhook
        fields = ("name", "url", "secret", "events", "format", "active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["url"].help_text += f" Now: {self.instance.url_host}. {KEEP}"
            self.fields["secret"].help_text += f" {KEEP}"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        adding = not self.instance.pk
        for field in ("url", "secret"):
            if adding and not cleaned.get(field):
                self.add_error(field, "This field is required.")
        url = cleaned.get("url")
        if url and urlsplit(url).scheme not in ("http", "https"):
            self.add_error("url", "Only http and https URLs.")
        elif url and not all(33 <= ord(character) <= 126 for character in url):
            self.add_error("url", "Printable ASCII only: percent-encode any other character.")
        return cleaned

    def save(self, commit: bool = True) -> Webhook:
        webhook = super().save(commit=False)
        if self.cleaned_data.get("url"):
            webhook.url_sealed = seal(self.cleaned_data["url"])
            webhook.url_host = urlsplit(self.cleaned_data["url"]).netloc.rpartition("@")[2]
        if self.cleaned_data.get("secret"):
            webhook.secret_sealed = seal(self.cleaned_data["secret"])
        if commit:
            webhook.save()
        return webhook


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    readonly_fields = ("url_host",)  # where the URL points: all that is ever shown of it
    list_display = ("name", "url_host", "event_list", "format", "active")
    list_filter = ("active", "format")

    @admin.display(description="events")
    def event_list(self, webhook: Webhook) -> str:
        return ", ".join(webhook.events)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "created",
        "webhook",
        "event",
        "run",
        "status",
        "attempts",
        "response_status",
        "error",
    )
    list_filter = ("status", "event", "webhook")
    readonly_fields = (
        "webhook",
        "run",
        "event",
        "body",
        "status",
        "attempts",
        "response_status",
        "error",
        "created",
        "finished",
    )
    created = timestamp_column("created_at", "created at")
    finished = timestamp_column("finished_at", "finished at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
