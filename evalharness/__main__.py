from evalharness.commands.main import main

raise SystemExit(main())
