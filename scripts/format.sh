#!/usr/bin/env bash
# Formats the C++ sources (src/, include/, tests/, bench/) with clang-format and the
# repository's .clang-format. --check changes nothing: it lists the files that differ
# from their formatted form and exits 1 if there is any. Extra arguments: the files to
# consider instead of all of them. CLANG_FORMAT picks the binary (default clang-format-14,
# Debian's, whose output .clang-format is tuned for; other versions format slightly differently).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
check=false
if [[ ${1:-} == --check ]]; then
    check=true
    shift
fi
clang_format=${CLANG_FORMAT:-$(command -v clang-format-14 || command -v clang-format || true)}
if [[ -z $clang_format ]]; then
    echo "format.sh: clang-format not found; install Debian's clang-format-14 (apt-get install clang-format-14)" >&2
    exit 2
fi
if (($#)); then
    files=("$@")
else
    mapfile -t files < <(git ls-files -- 'src/*.cpp' 'src/*.hpp' 'include/*.hpp' 'tests/*.cpp' 'tests/*.hpp' \
                                         'bench/*.cpp' 'bench/*.hpp')
fi
if ! $check; then
    "$clang_format" -i --style=file "${files[@]}"
    exit 0
fi
differ=0
for f in "${files[@]}"; do
    if ! "$clang_format" --style=file "$f" | cmp -s - "$f"; then
        echo "$f"
        differ=1
    fi
done
if ((differ)); then
    echo "format.sh: the files above are not formatted; run scripts/format.sh to format them" >&2
fi
exit "$differ"
