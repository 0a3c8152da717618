"""The emulator's state in SQLite: one connection per worker, one writer at a time, WAL.

Every lookup the API does goes through an index (the primary keys, alias address NOCASE,
per-domain indexes and the goto index used when a mailbox is deleted), so the emulator stays
fast with thousands of domains and tens of thousands of aliases.
"""

import contextlib
import queue
import sqlite3
import threading

SCHEMA = """
CREATE TABLE IF NOT EXISTS domain (
    domain TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    aliases INTEGER NOT NULL,
    mailboxes INTEGER NOT NULL,
    defquota INTEGER NOT NULL,
    maxquota INTEGER NOT NULL,
    quota INTEGER NOT NULL,
    active INTEGER NOT NULL,
    gal INTEGER NOT NULL,
    backupmx INTEGER NOT NULL,
    relay_all_recipients INTEGER NOT NULL,
    relay_unknown_only INTEGER NOT NULL,
    relayhost INTEGER NOT NULL DEFAULT 0,
    rl_value TEXT,
    rl_frame TEXT,
    created TEXT NOT NULL,
    modified TEXT
);
CREATE TABLE IF NOT EXISTS domain_tag (
    domain TEXT NOT NULL REFERENCES domain(domain) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (domain, tag)
);
CREATE TABLE IF NOT EXISTS mailbox (
    username TEXT PRIMARY KEY COLLATE NOCASE,
    local_part TEXT NOT NULL,
    domain TEXT NOT NULL,
    name TEXT NOT NULL,
    password TEXT NOT NULL,
    quota INTEGER NOT NULL,
    active INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    rl_value TEXT,
    rl_frame TEXT,
    created TEXT NOT NULL,
    modified TEXT
);
CREATE INDEX IF NOT EXISTS mailbox_domain ON mailbox(domain, username);
CREATE TABLE IF NOT EXISTS mailbox_tag (
    username TEXT NOT NULL REFERENCES mailbox(username) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (username, tag)
);
CREATE TABLE IF NOT EXISTS alias (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    address TEXT NOT NULL UNIQUE COLLATE NOCASE,
    goto TEXT NOT NULL,
    domain TEXT NOT NULL,
    is_mailbox INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL,
    sogo_visible INTEGER NOT NULL,
    internal INTEGER NOT NULL,
    sender_allowed INTEGER NOT NULL,
    public_comment TEXT,
    private_comment TEXT,
    created TEXT NOT NULL,
    modified TEXT
);
CREATE INDEX IF NOT EXISTS alias_domain ON alias(domain, is_mailbox, id);
CREATE TABLE IF NOT EXISTS alias_goto (
    alias_id INTEGER NOT NULL REFERENCES alias(id) ON DELETE CASCADE,
    goto TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (alias_id, goto)
);
CREATE INDEX IF NOT EXISTS alias_goto_target ON alias_goto(goto);
-- Mailcow's app_passwd table (columns as in 2026-07a's MariaDB schema): the auth endpoint honours
-- every active row of an active mailbox, per protocol flag.
CREATE TABLE IF NOT EXISTS app_passwd (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    mailbox TEXT NOT NULL COLLATE NOCASE REFERENCES mailbox(username) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    password TEXT NOT NULL,
    created TEXT NOT NULL,
    modified TEXT,
    imap_access INTEGER NOT NULL DEFAULT 1,
    smtp_access INTEGER NOT NULL DEFAULT 1,
    dav_access INTEGER NOT NULL DEFAULT 1,
    eas_access INTEGER NOT NULL DEFAULT 1,
    pop3_access INTEGER NOT NULL DEFAULT 1,
    sieve_access INTEGER NOT NULL DEFAULT 1,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS app_passwd_mailbox ON app_passwd(mailbox);
CREATE TABLE IF NOT EXISTS dkim (
    domain TEXT PRIMARY KEY,
    selector TEXT NOT NULL,
    pubkey TEXT NOT NULL,
    privkey TEXT NOT NULL
);
"""

TABLES = ("app_passwd", "alias_goto", "alias", "mailbox_tag", "mailbox", "domain_tag", "domain", "dkim")


class Store:
    """SQLite connections handed out per request; writers serialised by one lock."""

    def __init__(self, path):
        self.path = str(path)
        self.write_lock = threading.RLock()
        self._idle = queue.SimpleQueue()
        with self.connection() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)

    def _open(self):
        conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @contextlib.contextmanager
    def connection(self):
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = self._open()
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.rollback()
            self._idle.put(conn)

    @contextlib.contextmanager
    def write(self):
        """A connection inside one transaction, holding the writer lock; commits on success."""
        with self.write_lock, self.connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException as exc:
                # A PHP crash (empty 200) keeps what Mailcow wrote before it: no transaction there.
                if getattr(exc, "keep_changes", False):
                    conn.commit()
                else:
                    conn.rollback()
                raise
            conn.commit()

    def wipe(self):
        with self.write() as conn:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            conn.execute("DELETE FROM sqlite_sequence")
