"""The progress callback: one line per client and step, and a closing line per client."""

from ansible.executor.stats import AggregateStats

from ansible_collections.securenexus.provisioning.plugins.callback.progress import CallbackModule


class Named:
    def __init__(self, name, tags=()):
        self.name = name
        self.tags = list(tags)

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


LAST_TASK = "securenexus.provisioning.client : Verdict | Fail the client when it differs from its definition"


def start(callback, host, task_name, tags=()):
    callback.v2_runner_on_start(Named(host), Named(task_name, tags))


def finish(callback, host):
    start(callback, host, LAST_TASK, tags=["always", "client_verdict"])


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
    finish(callback, "acme")
    stats = AggregateStats()
    stats.increment("ok", "acme")
    stats.increment("changed", "acme")
    stats.increment("failures", "globex")
    clock.now += 41
    lines.lines.clear()
    callback.v2_playbook_on_stats(stats)
    assert lines.lines == ["progress: acme: finished, changed=1, 41s",
                           "progress: globex: FAILED, changed=0, 41s"]


def test_a_client_that_never_reached_the_role_s_last_task_without_failing_itself_is_stopped():
    # A task run once for every client failed on acme: ansible-core stops globex without a failure of its own.
    callback, lines, _clock = make_callback()
    start(callback, "acme", "Mailcow | Ensure the shared base domain exists")
    start(callback, "globex", "Preflight | Check the whole client definition")
    stats = AggregateStats()
    stats.increment("failures", "acme")
    stats.increment("ok", "globex")
    lines.lines.clear()
    callback.v2_playbook_on_stats(stats)
    assert lines.lines == ["progress: acme: FAILED, changed=0, 0s", "progress: globex: STOPPED, changed=0, 0s"]
