from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalog.demo import ADMIN_USER, DEMO_USERS, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo catalogue and users (idempotent: safe to run again). The superuser "
        "'admin' with its published password is added only with DEBUG on or --with-admin, "
        "and never under the production settings."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-photos", action="store_true", help="skip drawing photos")
        parser.add_argument(
            "--with-admin",
            action="store_true",
            help="also create the superuser 'admin' (refused under the production settings)",
        )

    def handle(self, *args, no_photos=False, with_admin=False, **options):
        allowed = getattr(settings, "DEMO_SUPERUSER_ALLOWED", True)
        if with_admin and not allowed:
            raise CommandError(
                "--with-admin is refused under the production settings: a superuser with a "
                "published password must never exist there (use createsuperuser)."
            )
        with_admin = allowed and (with_admin or settings.DEBUG)
        counts = load_demo(with_photos=not no_photos, with_admin=with_admin)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data ready: " + ", ".join(f"{v} {k}" for k, v in counts.items())
            )
        )
        for username, password, role in [ADMIN_USER] * with_admin + DEMO_USERS:
            self.stdout.write(f"  {username:16} {password:16} {role}")
