"""The progress callback: one line per client and step, and a closing line per client."""

from ansible.executor.stats import AggregateStats

from ansible_collections.securenexus.provisioning.plugins.callback.progress import CallbackModule


class Named:
    def __init__(self, name):
        self.name = name

    def get_name(self):
        return self.name


class Lines:
    verbosity = 0

    def __init__(self):
        self.lines = []

    def display(self, msg, **_kwargs):
        self.lines.append(msg)


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


def make_callback():
    lines, clock = Lines(), Clock()
    return CallbackModule(display=lines, clock=clock), lines, clock


def start(callback, host, task_name):
    callback.v2_runner_on_start(Named(host), Named(task_name))


def test_a_line_when_a_client_starts_a_step_and_none_for_the_next_task_of_the_same_step():
    callback, lines, clock = make_callback()
    start(callback, "acme", "securenexus.provisioning.client : Mailcow | Ensure the client's own domain")
    clock.now += 3
    start(callback, "acme", "securenexus.provisioning.client : Mailcow | Ensure the main mailbox")
    start(callback, "acme", "securenexus.provisioning.client : ERPNext | Ensure the client's site")
    assert lines.lines == ["progress: acme: Mailcow at +0s", "progress: acme: ERPNext at +3s"]


def test_clients_are_followed_separately():
    callback, lines, _clock = make_callback()
    start(callback, "acme", "Mailcow | Ensure the main mailbox")
    start(callback, "globex", "Mailcow | Ensure the main mailbox")
    assert lines.lines == ["progress: acme: Mailcow at +0s", "progress: globex: Mailcow at +0s"]


def test_tasks_without_a_step_prefix_print_nothing():
    callback, lines, _clock = make_callback()
    start(callback, "localhost", "Check the requested clients")
    assert lines.lines == []


def test_the_end_of_the_run_says_per_client_whether_it_finished_and_what_changed():
    callback, lines, clock = make_callback()
    start(callback, "acme", "Mailcow | Ensure the main mailbox")
    start(callback, "globex", "Mailcow | Ensure the main mailbox")
    stats = AggregateStats()
    stats.increment("ok", "acme")
    stats.increment("changed", "acme")
    stats.increment("failures", "globex")
    clock.now += 41
    lines.lines.clear()
    callback.v2_playbook_on_stats(stats)
    assert lines.lines == ["progress: acme: finished, changed=1, 41s",
                           "progress: globex: FAILED, changed=0, 41s"]
