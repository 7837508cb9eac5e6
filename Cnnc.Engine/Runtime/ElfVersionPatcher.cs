using System.Buffers.Binary;
using System.Text;

namespace Cnnc.Engine.Runtime;

/// <summary>
/// Minimal ELF64 (little-endian) editor for one job: make a shared library stop requiring symbol versions that the
/// system's libstdc++ lacks, when the only symbols bound to those versions are known to be safe to leave unresolved.
/// </summary>
/// <remarks>
/// libLibTorchSharp.so 0.107 was linked against GCC 13's libstdc++ and asks for <c>GLIBCXX_3.4.32</c> for exactly one
/// symbol, <c>std::ios_base_library_init()</c>. GCC 13 emits that reference only to pull libstdc++'s stream initialiser
/// into the link; no relocation uses it, and the streams are initialised by libtorch's own <c>ios_base::Init</c>
/// objects. The edit (1) clears that symbol's version and makes it a weak undefined symbol, and (2) sets
/// <c>VER_FLG_WEAK</c> on the version need, so the dynamic loader accepts an older libstdc++.
/// </remarks>
internal static class ElfVersionPatcher
{
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVersym = 0x6fffffff;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 0x2;
    private const ushort VersionIndexGlobal = 1;
    private const byte StbWeak = 2;

    /// <summary>Symbols that may be left unresolved: referenced only to force a link-time dependency.</summary>
    internal static readonly IReadOnlySet<string> SymbolsSafeToWeaken = new HashSet<string>(StringComparer.Ordinal)
    {
        "_ZSt21ios_base_library_initv",
    };

    /// <summary>Versions a library needs from <paramref name="fromLibrary"/> (e.g. "libstdc++.so.6").</summary>
    public static IReadOnlyList<string> NeededVersions(byte[] elf, string fromLibrary)
    {
        var layout = ElfLayout.Read(elf);
        return layout.Verneed(elf).Where(v => v.File == fromLibrary).Select(v => v.Name).ToList();
    }

    /// <summary>
    /// Rewrites <paramref name="elf"/> in place so that the given versions are no longer required.
    /// Throws <see cref="InvalidOperationException"/> naming the symbols when a version is used by a symbol that is not
    /// known to be safe, and leaves the buffer unchanged in that case.
    /// </summary>
    /// <returns>The symbols whose version was cleared.</returns>
    public static IReadOnlyList<string> RelaxVersions(byte[] elf, IReadOnlyCollection<string> versionNames)
    {
        var layout = ElfLayout.Read(elf);
        var targets = layout.Verneed(elf).Where(v => versionNames.Contains(v.Name)).ToList();
        if (targets.Count == 0) return Array.Empty<string>();
        var indices = targets.Select(t => t.VersionIndex).ToHashSet();

        var symbols = new List<(int Index, string Name)>();
        for (var i = 0; i < layout.SymbolCount; i++)
        {
            var versionIndex = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(layout.VersymOffset + 2 * i)) & 0x7fff);
            if (!indices.Contains(versionIndex)) continue;
            symbols.Add((i, layout.SymbolName(elf, i)));
        }
        var unsafeSymbols = symbols.Where(s => !SymbolsSafeToWeaken.Contains(s.Name)).Select(s => s.Name).ToList();
        if (unsafeSymbols.Count > 0)
            throw new InvalidOperationException(
                $"Cannot relax {string.Join(", ", versionNames)}: used by {string.Join(", ", unsafeSymbols.Take(5))}" +
                (unsafeSymbols.Count > 5 ? $" and {unsafeSymbols.Count - 5} more" : "") +
                ". A newer libstdc++ (GCC 13 or later) is required.");

        foreach (var (index, _) in symbols)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(layout.VersymOffset + 2 * index), VersionIndexGlobal);
            var infoOffset = layout.DynsymOffset + index * layout.DynsymEntrySize + 4;
            if (BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(layout.DynsymOffset + index * layout.DynsymEntrySize + 6)) == 0)
                elf[infoOffset] = (byte)((StbWeak << 4) | (elf[infoOffset] & 0xf)); // undefined: make it weak
        }
        foreach (var target in targets)
        {
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(target.AuxOffset + 4));
            BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(target.AuxOffset + 4), (ushort)(flags | VerFlagWeak));
        }
        return symbols.Select(s => s.Name).ToList();
    }

    internal sealed record VersionNeed(string File, string Name, ushort VersionIndex, ushort Flags, int AuxOffset);

    private sealed record ElfLayout(
        int DynsymOffset, int DynsymEntrySize, int SymbolCount, int DynstrOffset, int VersymOffset,
        int VerneedOffset, int VerneedCount)
    {
        public static ElfLayout Read(byte[] elf)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("Not an ELF file.");
            if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("Only little-endian ELF64 is supported.");
            var shoff = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(0x28)));
            var shentsize = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3A));
            var shnum = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3C));
            int dynsym = -1, versym = -1, verneed = -1;
            for (var i = 0; i < shnum; i++)
            {
                var type = BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(shoff + i * shentsize + 4));
                if (type == ShtDynsym) dynsym = i;
                else if (type == ShtGnuVersym) versym = i;
                else if (type == ShtGnuVerneed) verneed = i;
            }
            if (dynsym < 0 || versym < 0 || verneed < 0)
                throw new InvalidDataException("ELF file has no dynamic symbol versioning sections.");
            int Offset(int s) => checked((int)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(shoff + s * shentsize + 24)));
            long Size(int s) => (long)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(shoff + s * shentsize + 32));
            uint Link(int s) => BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(shoff + s * shentsize + 40));
            uint Info(int s) => BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(shoff + s * shentsize + 44));
            long EntSize(int s) => (long)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(shoff + s * shentsize + 56));
            var entsize = (int)EntSize(dynsym);
            return new ElfLayout(Offset(dynsym), entsize, (int)(Size(dynsym) / entsize), Offset((int)Link(dynsym)),
                Offset(versym), Offset(verneed), (int)Info(verneed));
        }

        public string SymbolName(byte[] elf, int index) =>
            ReadString(elf, DynstrOffset + (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(DynsymOffset + index * DynsymEntrySize)));

        public IEnumerable<VersionNeed> Verneed(byte[] elf)
        {
            var offset = VerneedOffset;
            for (var n = 0; n < VerneedCount; n++)
            {
                var count = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(offset + 2));
                var file = ReadString(elf, DynstrOffset + (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(offset + 4)));
                var aux = offset + (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(offset + 8));
                for (var a = 0; a < count; a++)
                {
                    var flags = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(aux + 4));
                    var other = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(aux + 6));
                    var name = ReadString(elf, DynstrOffset + (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(aux + 8)));
                    yield return new VersionNeed(file, name, other, flags, aux);
                    aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(aux + 12));
                }
                var next = BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(offset + 12));
                if (next == 0) break;
                offset += (int)next;
            }
        }

        private static string ReadString(byte[] elf, int offset)
        {
            var end = Array.IndexOf(elf, (byte)0, offset);
            return Encoding.ASCII.GetString(elf, offset, end - offset);
        }
    }
}
