"""factory-boy factories for what the app stores in Django's database."""

from __future__ import annotations

from collections.abc import Sequence

import factory
from django.contrib.auth.models import Permission
from factory.django import DjangoModelFactory


class UserFactory(DjangoModelFactory):
    """A staff user; ``permissions=[codename, ...]`` grants the app's permissions."""

    class Meta:
        model = "auth.User"
        django_get_or_create = ("username",)
        skip_postgeneration_save = True  # permissions are rows of their own

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True

    class Params:
        superuser = factory.Trait(is_superuser=True)

    @factory.post_generation
    def permissions(self, create: bool, codenames: Sequence[str] | None, **kwargs: object) -> None:
        for codename in codenames or ():
            self.user_permissions.add(
                Permission.objects.get(
                    content_type__app_label="migrations_manager", codename=codename
                )
            )
