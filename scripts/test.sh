#!/usr/bin/env bash
# The test command: installs test prerequisites, builds the guest programs, runs every test.
# Extra arguments go to `dotnet test` (e.g. --filter).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/prerequisites.sh" test
make -s -C "$root/guest"
"$root/scripts/guest-assets.sh"
export CAPVISOR_ROOT="$root"
export CAPVISOR_REQUIRE_GUEST_ASSETS=1
dotnet test "$root/Capvisor.slnx" -c Release -nologo "$@"
