from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from kb.models import ApiToken


class Command(BaseCommand):
    help = "Personal API tokens for scripts: create (the token is printed once), list, revoke."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="make a token for USER and print it")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="what will use it")
        create.add_argument("--write", action="store_true", help="may write (never more than the user may)")
        listing = actions.add_parser("list", help="USER's tokens (never the tokens themselves)")
        listing.add_argument("username")
        revoke = actions.add_parser("revoke", help="revoke the token with this id")
        revoke.add_argument("id", type=int)

    def handle(self, *args, action, **options):
        if action == "revoke":
            token = ApiToken.objects.filter(pk=options["id"]).first()
            if token is None:
                raise CommandError(f"no API token with id {options['id']}")
            token.revoke()
            self.stdout.write(f"revoked {token.pk}: {token}")
            return
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user named {options['username']!r}")
        if action == "create":
            if not options["name"].strip():
                raise CommandError("--name must not be empty")
            _record, token = ApiToken.issue(user=user, name=options["name"], can_write=options["write"])
            self.stdout.write(token)
            return
        for token in ApiToken.objects.filter(user=user):
            state = "active" if token.active else f"revoked {token.revoked_at:%Y-%m-%d %H:%M}"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            access = "read, write" if token.can_write else "read"
            self.stdout.write(f"{token.pk}\t{token.shown}…\t{token.name}\t{access}\tlast used {used}\t{state}")
