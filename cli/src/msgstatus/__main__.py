"""``python -m msgstatus``."""

from msgstatus.main import main

raise SystemExit(main())
