from django.core.management.base import BaseCommand

from catalog.demo import DEMO_USERS, load_demo


class Command(BaseCommand):
    help = "Load the demo catalogue and users (idempotent: safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--no-photos", action="store_true", help="skip drawing photos")

    def handle(self, *args, no_photos=False, **options):
        counts = load_demo(with_photos=not no_photos)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data ready: " + ", ".join(f"{v} {k}" for k, v in counts.items())
            )
        )
        for username, password, role in DEMO_USERS:
            self.stdout.write(f"  {username:16} {password:16} {role}")
