"""What every local user can read: the command lines of all processes, sampled while something runs."""

import os
import threading


class CommandLines:
    """Samples every process's command line while it runs (what any local user can read)."""

    def __init__(self):
        self.seen = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self):
        own = str(os.getpid())
        while not self.stop.is_set():
            for entry in os.scandir("/proc"):
                if entry.name.isdigit() and entry.name != own:
                    try:
                        with open(os.path.join(entry.path, "cmdline"), "rb") as handle:
                            self.seen.add(handle.read().replace(b"\0", b" ").decode(errors="replace"))
                    except OSError:
                        pass
            self.stop.wait(0.02)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.stop.set()
        self.thread.join()
