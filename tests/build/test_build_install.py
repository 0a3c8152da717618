"""The collection as users get it: built with ansible-galaxy, installed from the tarball into an
empty directory, and used by FQCN from there with nothing of the checkout in sight.

Every ansible command here runs from a scratch directory with an empty ansible.cfg and
ANSIBLE_COLLECTIONS_PATH naming only the install directory, so the checkout's ansible.cfg and its
collections/ link cannot make a broken artifact look fine.
"""

import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
FQCN = "{namespace}.{name}".format(**GALAXY)
TARBALL_NAME = "{namespace}-{name}-{version}.tar.gz".format(**GALAXY)

# Everything a user of the collection runs or reads, by directory so that new plugins, roles and
# data files under them ship without an edit here. README links into docs/; docs/img holds only
# benchmark data. No LICENSE/COPYING: galaxy.yml names the licence by its SPDX id.
ALLOWED_FILES = {"MANIFEST.json", "FILES.json", "README.md"}
ALLOWED_TREES = ("plugins", "roles", "playbooks", "meta", "docs", "changelogs")
DISALLOWED_TREES = ("docs/img",)

# What must never ship, even inside an allowed tree: local state, virtualenvs, generated credentials, the checkout's
# self-link, caches and earlier build output.
FORBIDDEN_COMPONENTS = {".git", ".venv", ".sandbox", ".ansible", ".pytest_cache", ".hypothesis",
                        "__pycache__", "collections", "credentials"}
FORBIDDEN_PREFIXES = ("tests/output/", "benchmarks/results/")

MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py")
                 if not p.name.startswith("_"))
ROLES_WITH_SPECS = sorted(p.parent.parent.name for p in (ROOT / "roles").glob("*/meta/argument_specs.yml"))
PLAYBOOKS = sorted(p.stem for p in (ROOT / "playbooks").glob("*.yml"))


def problems(stderr):
    """Warnings and errors, less the one ansible-core 2.21 prints about its own internal collection
    whenever ansible-doc lists or renders roles."""
    return [line for line in stderr.splitlines()
            if ("[WARNING]" in line or "ERROR" in line) and "/ansible/_internal/ansible_collections/" not in line]


def run(cmd, env, cwd):
    return subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build once, install once; every test below looks at the same artifact."""
    work = tmp_path_factory.mktemp("build")
    (work / "ansible.cfg").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MAILCOW_"))}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        ANSIBLE_CONFIG=str(work / "ansible.cfg"),
        ANSIBLE_HOME=str(work / "ansible-home"),
        ANSIBLE_COLLECTIONS_PATH=str(work / "installed"),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_NOCOLOR="1",
    )
    # Listed before the build, so files appearing in the checkout meanwhile are not counted as lost.
    shipped_sources = {p.relative_to(ROOT).as_posix() for top in ("plugins", "roles", "playbooks", "meta")
                       for p in (ROOT / top).rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    dist = work / "dist"
    result = run([BIN / "ansible-galaxy", "collection", "build", ROOT, "--output-path", dist], env, work)
    assert result.returncode == 0, result.stdout + result.stderr
    tarball = dist / TARBALL_NAME
    assert tarball.is_file(), f"build did not write {TARBALL_NAME}: {result.stdout}"
    result = run([BIN / "ansible-galaxy", "collection", "install", "--offline", tarball,
                  "-p", work / "installed"], env, work)
    assert result.returncode == 0, result.stdout + result.stderr
    with tarfile.open(tarball) as archive:
        members = [m.name for m in archive.getmembers()]
        manifest = json.load(archive.extractfile("MANIFEST.json"))
    return {"work": work, "env": env, "tarball": tarball, "members": members, "manifest": manifest,
            "shipped_sources": shipped_sources,
            "installed": work / "installed" / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]}


def test_tarball_carries_no_local_state_venvs_credentials_or_self_link(built):
    leaked = [name for name in built["members"]
              if FORBIDDEN_COMPONENTS.intersection(name.split("/"))
              or name.startswith(FORBIDDEN_PREFIXES) or name.endswith(".tar.gz")]
    assert leaked == []


def outside_allow_list(name):
    name = name.rstrip("/")
    if name in ALLOWED_FILES:
        return False
    if any(name == tree or name.startswith(tree + "/") for tree in DISALLOWED_TREES):
        return True
    return name.split("/", 1)[0] not in ALLOWED_TREES


def test_tarball_holds_only_the_allow_listed_files_and_trees(built):
    assert [name for name in built["members"] if outside_allow_list(name)] == []


def test_tarball_vault_files_are_encrypted_or_examples(built):
    with tarfile.open(built["tarball"]) as archive:
        plain = [m.name for m in archive.getmembers()
                 if m.isfile() and "vault" in Path(m.name).name and m.name.endswith((".yml", ".yaml"))
                 and not archive.extractfile(m).read(14).startswith(b"$ANSIBLE_VAULT")]
    assert plain == []


def test_tarball_manifest_matches_galaxy_yml(built):
    info = built["manifest"]["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == (
        GALAXY["namespace"], GALAXY["name"], GALAXY["version"])


def test_tarball_ships_every_plugin_and_role_of_the_checkout(built):
    assert sorted(built["shipped_sources"] - set(built["members"])) == []


def test_installed_collection_is_listed_with_its_version(built):
    result = run([BIN / "ansible-galaxy", "collection", "list", FQCN], built["env"], built["work"])
    assert result.returncode == 0, result.stderr
    assert f"{FQCN} {GALAXY['version']}" in " ".join(result.stdout.split())


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders_module_from_installed_copy(built, module):
    result = run([BIN / "ansible-doc", "-t", "module", f"{FQCN}.{module}"], built["env"], built["work"])
    assert result.returncode == 0, result.stderr
    assert problems(result.stderr) == []
    assert str(built["installed"] / "plugins" / "modules" / f"{module}.py") in result.stdout
    assert "EXAMPLES:" in result.stdout and "RETURN VALUES:" in result.stdout


@pytest.mark.parametrize("role", ROLES_WITH_SPECS)
def test_ansible_doc_renders_role_argument_spec_from_installed_copy(built, role):
    result = run([BIN / "ansible-doc", "-t", "role", f"{FQCN}.{role}"], built["env"], built["work"])
    assert result.returncode == 0, result.stderr
    assert problems(result.stderr) == []
    assert re.search(r"ENTRY POINT: \W*main\b", result.stdout), result.stdout


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_syntax_checks_by_fqcn_from_installed_copy(built, playbook):
    # deprovision_client targets exactly the client it is given; syntax checking resolves no host.
    result = run([BIN / "ansible-playbook", f"{FQCN}.{playbook}", "--syntax-check", "-i", "localhost,",
                  "-e", "client=acme"], built["env"], built["work"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert [line for line in problems(result.stderr) if "ERROR" in line] == []


def test_execution_environment_definition_builds_a_context_around_this_tarball(built):
    """ansible-builder create validates the EE file against its schema and lays out the context;
    the EE must pick up exactly the tarball this version builds (no image is built here)."""
    dist = built["tarball"].parent
    (dist / "execution-environment.yml").write_text((ROOT / "execution-environment.yml").read_text())
    context = dist / "context"
    result = run([BIN / "ansible-builder", "create", "-f", "execution-environment.yml", "-c", context,
                  "--output-filename", "Containerfile"], built["env"], dist)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (context / "Containerfile").is_file()
    assert (context / "_build" / "src" / TARBALL_NAME).read_bytes() == built["tarball"].read_bytes()
    galaxy_reqs = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert [c["name"] for c in galaxy_reqs["collections"]] == [f"src/{TARBALL_NAME}"]


def test_execution_environment_admits_the_ansible_core_tested_here():
    definition = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
    core = Requirement(definition["dependencies"]["ansible_core"]["package_pip"])
    installed = subprocess.run([BIN / "ansible", "--version"], capture_output=True, text=True, check=True)
    tested = Version(installed.stdout.split("core ", 1)[1].split("]", 1)[0])
    assert core.name == "ansible-core" and tested in core.specifier
