"""Many clients in one run, and two runs for one client at the same moment."""

CLIENT_COUNT = 20
WRITERS = 6


def test_twenty_clients_with_ten_forks_are_all_provisioned_correctly(workspace):
    # The stand-in's `bench new-site` holds a lock with a one-second timeout, like frappe's: two site
    # creations at once on one bench would fail the run, so a passing run shows they were serialised.
    clients = {"c%02d" % n: {} for n in range(CLIENT_COUNT)}
    workspace.set_clients(clients)
    run = workspace.run(forks=10)
    assert run.rc == 0, run.output[-3000:]
    assert "LockTimeoutError" not in run.output
    workspace.assert_credentials_match_mailcow()
    state = workspace.end_state()
    assert sorted(state["sites"]) == sorted("%s.byrne-accounts.org" % c for c in clients)
    assert all(apps[-2:] == ["erpnext", "posawesome"] for apps in state["sites"].values())
    assert len(state["mailcow"]["mailboxes"]) == CLIENT_COUNT
    addresses = [alias[0] for alias in state["mailcow"]["aliases"]]
    assert len(addresses) == len(set(addresses)) == 2 * CLIENT_COUNT
    assert len(state["routes"]) == CLIENT_COUNT
    assert all(state["sheets"].values())
    assert workspace.leaks() == []


def test_two_runs_for_one_client_at_the_same_moment_agree_on_its_credentials(workspace):
    workspace.set_clients({"acme": {"client_domain": "acmecorp.com"}})
    first, second = workspace.start(client="acme"), workspace.start(client="acme")
    for run in (first, second):
        run.stdout = run.process.stdout.read()
        run.rc = run.process.wait()
    # Both may not succeed (the second `bench new-site` for the same site can lose the race), but
    # neither may lose or mismatch a credential, and a re-run must find nothing left to do.
    assert first.rc == 0 or second.rc == 0, first.stdout[-2000:] + second.stdout[-2000:]
    assert first.stdout.count("created mailbox_password") + second.stdout.count("created mailbox_password") == 1
    workspace.assert_credentials_match_mailcow()
    settle = workspace.run(client="acme")
    assert settle.rc == 0, settle.output[-3000:]
    workspace.assert_credentials_match_mailcow()
    state = workspace.end_state()
    assert [m[0] for m in state["mailcow"]["mailboxes"]] == ["acme@acmecorp.com"]
    assert len(state["mailcow"]["aliases"]) == 2
    assert list(state["sites"]) == ["acme.byrne-accounts.org"]
    assert workspace.leaks() == []


def test_credentials_file_is_locked_while_read_modify_written(workspace):
    """Many runs adding secrets to one file at once: every secret any run created is in the final file."""
    workspace.set_clients({"acme": {}})
    playbook = workspace.root / "secrets.yml"
    playbook.write_text(
        "- hosts: acme\n  gather_facts: false\n  tasks:\n"
        "    - name: Add one secret\n"
        "      securenexus.provisioning.vault_credentials:\n"
        "        path: \"{{ client_credentials_dir }}/acme.vault.yml\"\n"
        "        secrets: [\"{{ secret_name }}\"]\n"
        "      register: got\n"
        "    - name: Show which value this run holds (names only in the output)\n"
        "      ansible.builtin.copy:\n"
        "        content: \"{{ got.secrets[secret_name] }}\"\n"
        "        dest: \"{{ out }}\"\n"
        "        mode: \"0600\"\n")
    runs = []
    for n in range(WRITERS):
        runs.append(workspace.start(str(playbook), "-e", "secret_name=s%d out=%s/seen-%d" % (n, workspace.root, n),
                                    verbosity=0))
    for run in runs:
        run.stdout = run.process.stdout.read()
        run.rc = run.process.wait()
        assert run.rc == 0, run.stdout[-2000:]
    stored = workspace.stored_credentials("acme")
    assert {name: stored[name] for name in stored} == {
        "s%d" % n: (workspace.root / ("seen-%d" % n)).read_text() for n in range(WRITERS)}
