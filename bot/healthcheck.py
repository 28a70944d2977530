"""`python -m bot.healthcheck [CONFIG]`: exit 0 when the running service's /healthz says healthy.

The Docker HEALTHCHECK runs this every 30 s, so it imports nothing but the standard library
(importing the whole CLI costs about 1.5 s of CPU): it reads schedule.health_port from the
config found as `claimbot` finds it, and asks that port on schedule.health_host (127.0.0.1 when
the service listens on every address).
"""

from __future__ import annotations

import os
import sys
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

DEFAULT_PORT = 8080


def config_path(given: str | None = None) -> Path | None:
    """--config, $CLAIMBOT_CONFIG, ./config/bot.toml, the installed defaults (as bot.config.find_config)."""
    if given:
        return Path(given)
    if os.environ.get("CLAIMBOT_CONFIG"):
        return Path(os.environ["CLAIMBOT_CONFIG"])
    for candidate in (Path.cwd() / "config" / "bot.toml", Path(__file__).resolve().parent / "defaults" / "config" /
                      "bot.toml", Path(__file__).resolve().parent.parent / "config" / "bot.toml"):
        if candidate.is_file():
            return candidate
    return None


def ask_host(configured: object) -> str:
    """Where to ask: the address the service listens on, loopback when it listens on all of them."""
    return configured if isinstance(configured, str) and configured not in ("", "0.0.0.0", "::") else "127.0.0.1"


def health_address(path: Path | None) -> tuple[str, int | None]:
    if path is None:
        return "127.0.0.1", DEFAULT_PORT
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SystemExit(f"health: {path}: cannot be read ({exc}); run `claimbot check-config`") from None
    schedule = raw.get("schedule") if isinstance(raw.get("schedule"), dict) else {}
    port = schedule.get("health_port", DEFAULT_PORT)
    return ask_host(schedule.get("health_host")), port if isinstance(port, int) and port > 0 else None


def check(port: int, timeout: float = 4.0, host: str = "127.0.0.1") -> tuple[bool, str]:
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - a fixed loopback URL
            return True, f"health: {url}: ok {response.read(2000).decode('utf-8', 'replace')}"
    except urllib.error.HTTPError as exc:
        return False, f"health: {url}: unhealthy (HTTP {exc.code}: {exc.read(2000).decode('utf-8', 'replace')})"
    except (OSError, urllib.error.URLError) as exc:
        return False, f"health: {url}: no answer ({getattr(exc, 'reason', exc)}). Is `claimbot run` up?"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = config_path(args[0] if args else None)
    host, port = health_address(path)
    if port is None:
        print(f"health: {path}: schedule.health_port is not set, so there is no /healthz to ask", file=sys.stderr)
        return 1
    ok, line = check(port, host=host)
    print(line, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
