#!/usr/bin/env bash
# Where a page's WebAssembly bytes go. Builds the playground's or the embed player's binary with
# the profile Trunk uses for it, runs wasm-bindgen and wasm-opt -Oz as the page's build does but
# keeps the function names, and prints the shipped size (raw and gzip -9) and a breakdown:
# the core by module, Yew and the web crate, serde's decoding and encoding, B-tree code, the rest
# of the standard library and other crates, and the data segments (text and binary, each with
# its gzipped size). Names come from twiggy (installed into .tools/ by cargo when missing).
#   scripts/size.sh                 the playground
#   scripts/size.sh embed           the embed player
#   scripts/size.sh embed --top 30  and its 30 largest functions
# Builds in target/size/ (symbol-mangling v0 names generic arguments, and changing RUSTFLAGS
# would otherwise rebuild the usual target directory). Measures; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
page=${1:-playground}
top=0
[ "${2:-}" = "--top" ] && top=${3:-30}
case "$page" in
  playground) bin=replicalab-web profile=wasm-release ;;
  embed) bin=replicalab-embed profile=wasm-embed ;;
  *) echo "usage: scripts/size.sh [playground|embed] [--top N]" >&2; exit 2 ;;
esac
if ! command -v wasm-bindgen >/dev/null || [ ! -x node_modules/.bin/wasm-opt ]; then
  scripts/setup.sh
fi
export PATH="$PWD/.tools/bin:$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
if ! command -v twiggy >/dev/null; then
  echo "[size] installing twiggy into .tools/ (once)" >&2
  cargo install --quiet --locked --root .tools twiggy
fi
out=target/size/$page
mkdir -p "$out"
echo "[size] building $bin ($profile)" >&2
RUSTFLAGS="-C symbol-mangling-version=v0" CARGO_TARGET_DIR=target/size \
  cargo build --quiet -p replicalab-web --bin "$bin" --target wasm32-unknown-unknown --profile "$profile"
wasm-bindgen --target web --keep-debug --out-dir "$out/bindgen" "target/size/wasm32-unknown-unknown/$profile/$bin.wasm"
features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals)
wasm-opt -Oz "${features[@]}" --debuginfo "$out/bindgen/${bin}_bg.wasm" -o "$out/named.wasm"
wasm-opt -Oz "${features[@]}" --strip-debug --strip-producers "$out/bindgen/${bin}_bg.wasm" -o "$out/shipped.wasm"
twiggy top -n 1000000 --format csv "$out/named.wasm" >"$out/top.csv"
python3 - "$page" "$out/shipped.wasm" "$out/top.csv" "$top" <<'PY'
import collections, csv, gzip, re, sys

page, shipped, top_csv, top = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
wasm = open(shipped, "rb").read()
gz = lambda b: len(gzip.compress(b, 9))
print(f"{page}: {len(wasm):,} bytes, {gz(wasm):,} gzipped")

def uleb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1; r |= (x & 0x7F) << s; s += 7
        if x < 0x80:
            return r, i

# The data segments of the shipped module: printable runs of 16 bytes or more count as text.
data, i = [], 8
while i < len(wasm):
    sid = wasm[i]; size, i = uleb(wasm, i + 1); end = i + size
    if sid == 11:
        n, j = uleb(wasm, i)
        for _ in range(n):
            flag, j = uleb(wasm, j)
            if flag == 2:
                _, j = uleb(wasm, j)
            if flag != 1:
                while wasm[j] != 0x0B:
                    j += 1
                j += 1
            ln, j = uleb(wasm, j); data.append(wasm[j:j + ln]); j += ln
    i = end
blob = b"".join(data)
text_re = re.compile(rb"[\x20-\x7e\t\n]{16,}")
text = b"".join(text_re.findall(blob))
binary = text_re.sub(b"", blob)

def group(name):
    n = re.sub(r"\[[0-9a-f]+\]", "", name)
    if re.search(r"btree", n) and "yew::" not in n:
        return "B-tree code (every key and value type)"
    if re.search(r"serde|zmij", n):
        return "serde: decoding and encoding (derived code, serde_json)"
    if re.search(r"\byew::|implicit_clone|indexmap|gloo|tokise", n) or "replicalab_web" in n:
        return "Yew, gloo and the web crate (views, playground state)"
    if re.search(r"wasm_bindgen|web_sys|js_sys", n):
        return "wasm-bindgen, web-sys, js-sys"
    m = re.search(r"replicalab_core::([a-z_]+)(?:::([a-z_]+))?", n)
    if m:
        mod = m.group(1)
        if mod in ("checkers", "protocols") and m.group(2):
            mod += "::" + m.group(2)
        return "core::" + mod
    if re.search(r"miniz_oxide|base64", n):
        return "share links: compression, base64"
    if re.search(r"rand_|libm|compiler_builtins::math", n):
        return "random numbers and maths"
    return "standard library and the rest"

groups = collections.Counter()
functions = []
for row in csv.DictReader(open(top_csv)):
    name, size = row["Name"], int(row["ShallowSize"])
    if name.startswith("data[") or "data segment" in name or "function names" in name or "subsection" in name:
        continue
    groups[group(name)] += size
    functions.append((size, re.sub(r"\[[0-9a-f]+\]", "", name)))
code = sum(groups.values())
print(f"\ncode (before the name section is stripped): {code:,} bytes")
for g, size in groups.most_common():
    print(f"  {size:>9,}  {100 * size / code:5.1f}%  {g}")
print(f"\ndata: {len(blob):,} bytes, {gz(blob):,} gzipped")
print(f"  text   {len(text):>9,} bytes, {gz(text):>8,} gzipped")
print(f"  binary {len(binary):>9,} bytes, {gz(binary):>8,} gzipped")
if top:
    print(f"\nthe {top} largest functions:")
    for size, name in sorted(functions, reverse=True)[:top]:
        print(f"  {size:>8,}  {name[:150]}")
PY
