from django.core.management.base import BaseCommand, CommandParser

from sources.demo import demo_install


class Command(BaseCommand):
    help = "Create (or reuse) the demo accounts and the demo project of synthetic scenes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=24, help="number of synthetic scenes")
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="URL to print")

    def handle(self, *args: object, count: int, url: str, **options: object) -> None:
        install = demo_install(count=count)
        lines = [
            "",
            f"Loupe is starting on {url}",
            f"Demo project: {install.project.name!r} "
            f"({install.project.items.count()} items, {install.created_items} added now)",
            "Demo accounts (per-install passwords, kept in data/demo_accounts.json):",
            *(f"  {name:<10} {password}" for name, password in install.passwords.items()),
            "",
        ]
        self.stdout.write("\n".join(lines))
