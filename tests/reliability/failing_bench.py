"""The bench stand-in with one command failing once: a service step that breaks in the middle of a run.

    python failing_bench.py FLAG WORD BENCH-ARGS...

While the file FLAG exists, the first command whose arguments or standard input hold WORD removes FLAG and fails
as bench does when the site's database is down; every other command is the stand-in's (sandbox/bench_standin.py).
"""

import io
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sandbox import bench_standin  # noqa: E402  (the checkout is on the path only now)


def main():
    flag, word, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    data = sys.stdin.read()
    if os.path.exists(flag) and (word in args or word in data):
        os.unlink(flag)
        print("pymysql.err.OperationalError: (2003, \"Can't connect to MySQL server on '127.0.0.1' ([Errno 111] "
              "Connection refused)\")", file=sys.stderr)
        return 1
    sys.stdin = io.StringIO(data)
    return bench_standin.main(args)


if __name__ == "__main__":
    sys.exit(main())
