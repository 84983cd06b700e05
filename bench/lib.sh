# Shared by the bench/*.sh scripts (sourced, not run).

# bench_build_cli ROOT WORK: builds the CLI (Release) into WORK/cli — its own output, so
# concurrent work on ./capvisor's .build/cli is not disturbed — and prints the dll's path.
bench_build_cli() {
  local root="$1" work="$2"
  echo "bench: building capvisor (Release) into ${work#"$root"/}/cli" >&2
  if ! dotnet build "$root/src/Capvisor.Cli/Capvisor.Cli.csproj" -c Release -o "$work/cli" -nologo -v q \
       -clp:ErrorsOnly >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    echo "bench: capvisor build failed" >&2
    return 1
  fi
  echo "$work/cli/capvisor.dll"
}
