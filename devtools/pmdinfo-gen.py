#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Build step: the PMD info strings of the drivers compiled into a static library.

DPDK's build gives every in-tree driver a "PMD_INFO_STRING= {json}" constant, read by
dpdk-pmdinfo.py (name, device arguments, kernel modules, PCI ids), from what the driver's
sources declare with RTE_PMD_EXPORT_NAME, RTE_PMD_REGISTER_PARAM_STRING,
RTE_PMD_REGISTER_KMOD_DEP and RTE_PMD_REGISTER_PCI_TABLE: each of these macros leaves a named
string constant in the object file. This script reads those constants out of the objects of a
static library (a plain or a thin ar archive of ELF objects) and writes a C file defining one
info string per driver, to be linked into the shared library.

    pmdinfo-gen.py OUTPUT.c LIBRARY.a

Only the standard library is used (a small ELF symbol reader), so it runs with any python3.
PCI tables are not read: hvbus drivers have none, and one is refused rather than left out.
"""
import json
import os
import re
import struct
import sys

# Symbol names the DPDK macros produce (rte_dev.h in 22.11-24.11, dev_driver.h from 25.11):
# this_pmd_name<N> (22.11-24.11, static) or this_pmd_name<driver> (25.11, global) holds the
# driver name; __<driver>_<tag>_export holds the rest.
NAME_SYM = re.compile(r"^this_pmd_name\w*$")
TAGS = {"param_string_export": "params", "kmod_dep_export": "kmod"}
PCI_TAG = "pci_tbl_export"


def ar_members(path):
    """The object files of an ar archive: (name, bytes). Thin archives name their members'
    files (relative to the archive) instead of holding them."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:8]
    if magic not in (b"!<arch>\n", b"!<thin>\n"):
        raise ValueError("%s is not an ar archive" % path)
    thin = magic == b"!<thin>\n"
    longnames = b""
    off = 8
    while off + 60 <= len(data):
        hdr = data[off:off + 60]
        name = hdr[:16].decode("ascii").rstrip()
        size = int(hdr[48:58].decode("ascii").strip())
        off += 60
        special = name in ("/", "//", "/SYM64/")
        body = b"" if thin and not special else data[off:off + size]
        if not thin or special:
            off += size + (size & 1)
        if name == "//":
            longnames = body
            continue
        if special:
            continue
        if name.startswith("/"):
            # GNU long name: "/<offset>" into the "//" member (binutils may end the field
            # with a stray "/" in thin archives).
            start = int(re.match(r"/(\d+)", name).group(1))
            name = longnames[start:longnames.index(b"\n", start)].decode()
        name = name.rstrip("/")
        if thin:
            member = os.path.join(os.path.dirname(path), name)
            with open(member, "rb") as m:
                body = m.read()
        yield name, body


def elf_symbols(obj):
    """{symbol name: bytes of its initial value} of the data symbols of an ELF object."""
    if obj[:4] != b"\x7fELF":
        raise ValueError("not an ELF object")
    is64 = obj[4] == 2
    end = "<" if obj[5] == 1 else ">"
    if is64:
        shoff, = struct.unpack_from(end + "Q", obj, 0x28)
        shentsize, shnum = struct.unpack_from(end + "HH", obj, 0x3a)
        sh_fmt, sym_fmt = end + "IIQQQQIIQQ", end + "IBBHQQ"
    else:
        shoff, = struct.unpack_from(end + "I", obj, 0x20)
        shentsize, shnum = struct.unpack_from(end + "HH", obj, 0x2e)
        sh_fmt, sym_fmt = end + "IIIIIIIIII", end + "IIIBBH"
    sections = []
    for i in range(shnum):
        f = struct.unpack_from(sh_fmt, obj, shoff + i * shentsize)
        # name, type, flags, addr, offset, size, link, info, align, entsize
        sections.append({"type": f[1], "offset": f[4], "size": f[5], "link": f[6],
                         "entsize": f[9]})
    out = {}
    for sec in sections:
        if sec["type"] != 2:            # SHT_SYMTAB
            continue
        strtab = sections[sec["link"]]
        for i in range(sec["size"] // sec["entsize"]):
            f = struct.unpack_from(sym_fmt, obj, sec["offset"] + i * sec["entsize"])
            if is64:
                st_name, _, _, shndx, value, size = f
            else:
                st_name, value, size, _, _, shndx = f
            if shndx == 0 or shndx >= len(sections) or size == 0:
                continue
            target = sections[shndx]
            if target["type"] != 1:     # SHT_PROGBITS: initialised data
                continue
            nstart = strtab["offset"] + st_name
            name = obj[nstart:obj.index(b"\0", nstart)].decode()
            out[name] = obj[target["offset"] + value:target["offset"] + value + size]
    return out


def c_string(raw):
    return raw.split(b"\0", 1)[0].decode("ascii")


def drivers(symbols):
    """The info of every driver whose name symbol is among symbols."""
    out = []
    for sym, raw in sorted(symbols.items()):
        if not NAME_SYM.match(sym):
            continue
        name = c_string(raw)
        if "__%s_%s" % (name, PCI_TAG) in symbols:
            raise ValueError("%s has a PCI table: this generator does not read them" % name)
        info = {"name": name}
        for tag, key in TAGS.items():
            value = symbols.get("__%s_%s" % (name, tag))
            if value is not None:
                info[key] = c_string(value)
        # dpdk-pmdinfo.py expects the key, empty for drivers of other buses.
        info["pci_ids"] = []
        out.append(info)
    return out


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: pmdinfo-gen.py OUTPUT.c LIBRARY.a\n")
        return 2
    output, library = sys.argv[1:]
    found = []
    for member, body in ar_members(library):
        try:
            found += drivers(elf_symbols(body))
        except ValueError as e:
            sys.stderr.write("pmdinfo-gen: %s(%s): %s\n" % (library, member, e))
            return 1
    if not found:
        sys.stderr.write("pmdinfo-gen: %s declares no driver (RTE_PMD_EXPORT_NAME)\n" % library)
        return 1
    lines = ["/* Generated by devtools/pmdinfo-gen.py from %s: do not edit. */"
             % os.path.basename(library)]
    for info in found:
        text = "PMD_INFO_STRING= " + json.dumps(info)
        # JSON strings escape backslashes and quotes already; C needs them escaped once more.
        literal = text.replace("\\", "\\\\").replace('"', '\\"')
        lines.append('const char %s_pmd_info[] __attribute__((used)) = "%s";'
                     % (re.sub(r"\W", "_", info["name"]), literal))
    with open(output, "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
