"""Run the `pks` command from a checkout: `python cli.py --help`.

The installed console script `pks` runs the same click app (`pks_opt.commands:main`).
"""

from pks_opt.commands import main

if __name__ == "__main__":
    main()
