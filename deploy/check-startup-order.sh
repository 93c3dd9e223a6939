#!/usr/bin/env bash
# Checks deploy/cc-startup-first on a small release program: the functions its list names
# (without their hash) come first in the code, whichever of two functions is listed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(uname -m)" != x86_64 ]; then echo "startup order: x86_64 only, skipped"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/driver" "$work/probe/src"
cp "$root/deploy/cc-startup-first" "$work/driver/"
cat > "$work/probe/Cargo.toml" <<'EOF'
[package]
name = "order_probe"
version = "0.1.0"
edition = "2024"
[workspace]
EOF
cat > "$work/probe/src/main.rs" <<'EOF'
#[inline(never)]
fn alpha(x: u64) -> u64 {
    x.wrapping_mul(31).rotate_left(7) ^ 0x5a5a
}
#[inline(never)]
fn omega(x: u64) -> u64 {
    x.wrapping_mul(17).rotate_right(3) ^ 0xa5a5
}
fn main() {
    let n = std::env::args().count() as u64;
    println!("{}", alpha(n).wrapping_add(omega(std::hint::black_box(n))));
}
EOF
# addr NAME: where the probe's function NAME is
addr() { nm "$work/target/release/order_probe" | awk -v n="$1" '$3 ~ "^_ZN11order_probe" length(n) n "17h" { print $1 }'; }
for first in alpha omega; do
  printf '_ZN11order_probe%d%s17h\n' "${#first}" "$first" > "$work/driver/startup-symbols.txt"
  touch "$work/probe/src/main.rs"
  CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER="$work/driver/cc-startup-first" \
    cargo build -q --release --manifest-path "$work/probe/Cargo.toml" --target-dir "$work/target"
  a=$(addr alpha) o=$(addr omega)
  main=$(nm "$work/target/release/order_probe" | awk '/ _ZN11order_probe4main17h/ { print $1 }')
  [ -n "$a" ] && [ -n "$o" ] && [ -n "$main" ] || { echo "startup order: probe symbols not found"; exit 1; }
  if [ "$first" = alpha ]; then listed=$a other=$o; else listed=$o other=$a; fi
  # Fixed-width hex: string order is address order.
  if [[ ! $listed < $other || ! $listed < $main ]]; then
    echo "startup order: $first is not first (alpha $a, omega $o, main $main)"
    exit 1
  fi
done
echo "startup order: listed functions linked first"
