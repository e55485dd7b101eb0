from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reports.aggregates import aggregates_build_range, aggregates_check_day


class Command(BaseCommand):
    help = (
        "Rebuild the daily sales aggregates for a day or a range of days (idempotent), "
        "and compare them with the ledger."
    )

    def add_arguments(self, parser):
        parser.add_argument("first", nargs="?", help="first day, YYYY-MM-DD (default: today)")
        parser.add_argument("last", nargs="?", help="last day, YYYY-MM-DD (default: first)")
        parser.add_argument("--days", type=int, help="the last N days up to today instead")
        parser.add_argument(
            "--no-check", action="store_true", help="do not compare with the ledger"
        )

    def handle(self, *args, first=None, last=None, days=None, no_check=False, **options):
        today = timezone.localdate()
        try:
            if days:
                start, end = today - timedelta(days=days - 1), today
            else:
                start = date.fromisoformat(first) if first else today
                end = date.fromisoformat(last) if last else start
        except ValueError as exc:
            raise CommandError(f"dates are YYYY-MM-DD: {exc}") from None
        if end < start:
            raise CommandError("the last day comes before the first")
        built = aggregates_build_range(first=start, last=end)
        self.stdout.write(f"rebuilt {built} day(s), {start} to {end}")
        if no_check:
            return
        found = 0
        day = start
        while day <= end:
            for d in aggregates_check_day(day=day):
                found += 1
                self.stdout.write(
                    self.style.ERROR(
                        f"{d.day} cooperative {d.cooperative_id} {d.figure}: "
                        f"aggregates {d.aggregated} ledger {d.ledger}"
                    )
                )
            day += timedelta(days=1)
        self.stdout.write(
            self.style.SUCCESS("the aggregates equal the ledger")
            if not found
            else f"{found} difference(s)"
        )
