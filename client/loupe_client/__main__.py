import sys

from loupe_client.cli import main

sys.exit(main())
