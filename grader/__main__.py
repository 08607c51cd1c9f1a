from grader.frontends.cli import main

raise SystemExit(main())
