using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Weights;

/// <summary>A Python global that passed the allow-list (never imported, never called outside this file).</summary>
internal sealed record PyGlobal(string Module, string Name)
{
    public string FullName => $"{Module}.{Name}";
}

/// <summary>A Python tuple: structural equality so that tuples can be dict keys.</summary>
internal sealed class PyTuple : IEquatable<PyTuple>
{
    public static readonly PyTuple Empty = new(Array.Empty<object?>());
    public PyTuple(object?[] items) => Items = items;
    public object?[] Items { get; }
    public int Count => Items.Length;
    public object? this[int i] => Items[i];
    public bool Equals(PyTuple? other) => other is not null && Items.SequenceEqual(other.Items);
    public override bool Equals(object? obj) => Equals(obj as PyTuple);
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in Items) hash.Add(item);
        return hash.ToHashCode();
    }
}

/// <summary>A Python dict (or OrderedDict): insertion-ordered; BUILD state lands in <see cref="Attributes"/>.</summary>
internal sealed class PyDict
{
    private readonly Dictionary<object, int> _index = new();
    private readonly List<KeyValuePair<object, object?>> _items = new();
    public IReadOnlyList<KeyValuePair<object, object?>> Items => _items;
    public Dictionary<string, object?> Attributes { get; } = new();
    public int Count => _items.Count;

    public void Set(object? key, object? value)
    {
        var k = key ?? NoneKey.Instance;
        if (_index.TryGetValue(k, out var i)) _items[i] = new(k, value);
        else
        {
            _index[k] = _items.Count;
            _items.Add(new(k, value));
        }
    }

    public bool TryGet(object key, out object? value)
    {
        if (_index.TryGetValue(key, out var i))
        {
            value = _items[i].Value;
            return true;
        }
        value = null;
        return false;
    }

    private sealed class NoneKey
    {
        public static readonly NoneKey Instance = new();
        public override string ToString() => "None";
    }
}

/// <summary>A Python set or frozenset (only kept so that a pickle holding one still parses).</summary>
internal sealed class PySet : List<object?>;

/// <summary>What a persistent id names: one storage of the checkpoint, not yet read.</summary>
internal sealed record StorageRef(string Key, ScalarType DType, long Numel);

/// <summary>A tensor rebuilt by <c>torch._utils._rebuild_tensor_v2</c>: a strided view of a storage.</summary>
internal sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride);

/// <summary>
/// A pickle reader that understands the opcodes <c>torch.save</c> writes (protocols 0-5 binary opcodes and the text
/// ones protocol 2 still uses) and resolves globals only from a fixed allow-list of tensor-rebuild functions and
/// storage types. Nothing is imported or executed: each allowed global is interpreted here. Any other global is
/// refused when it is read, before anything could call it.
/// </summary>
internal sealed class RestrictedUnpickler
{
    /// <summary>Storage type names (<c>torch.FloatStorage</c>, ...) and the dtype of their elements.</summary>
    public static readonly IReadOnlyDictionary<string, ScalarType> StorageTypes = new Dictionary<string, ScalarType>
    {
        ["FloatStorage"] = ScalarType.Float32, ["DoubleStorage"] = ScalarType.Float64,
        ["HalfStorage"] = ScalarType.Float16, ["BFloat16Storage"] = ScalarType.BFloat16,
        ["LongStorage"] = ScalarType.Int64, ["IntStorage"] = ScalarType.Int32, ["ShortStorage"] = ScalarType.Int16,
        ["CharStorage"] = ScalarType.Int8, ["ByteStorage"] = ScalarType.Byte, ["BoolStorage"] = ScalarType.Bool,
    };

    private static readonly HashSet<string> AllowedFunctions = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        // torchvision's reference training scripts store their command line ("args") in checkpoints: read as an inert
        // attribute dict, never instantiated.
        "argparse.Namespace",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
    };

    /// <summary>Largest single string or bytes object accepted (a weights pickle holds only names and small values).</summary>
    private const long MaxObjectBytes = 64L << 20;

    private readonly Stream _stream;
    private readonly Func<PyTuple, object>? _persistentLoad;
    private readonly List<object?> _stack = new();
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();

    private RestrictedUnpickler(Stream stream, Func<PyTuple, object>? persistentLoad)
    {
        _stream = stream;
        _persistentLoad = persistentLoad;
    }

    /// <summary>Reads one pickle (up to and including STOP) from the stream's current position.</summary>
    public static object? Load(Stream stream, Func<PyTuple, object>? persistentLoad = null) =>
        new RestrictedUnpickler(stream, persistentLoad).Run();

    private static string AllowedList() =>
        string.Join(", ", AllowedFunctions.Concat(StorageTypes.Keys.Select(k => "torch." + k)));

    private static PyGlobal ResolveGlobal(string module, string name)
    {
        var full = $"{module}.{name}";
        if (AllowedFunctions.Contains(full) || (module == "torch" && StorageTypes.ContainsKey(name)))
            return new PyGlobal(module, name);
        throw new InvalidDataException(
            $"refusing to load global '{full}': a weights file may only name the tensor-rebuild globals " +
            $"({AllowedList()}). Nothing from the file was executed.");
    }

    private object? Run()
    {
        while (true)
        {
            var position = _stream.CanSeek ? _stream.Position : -1;
            var op = _stream.ReadByte();
            if (op < 0) throw new InvalidDataException("truncated: the pickle ends before its STOP opcode.");
            switch (op)
            {
                case 0x80: // PROTO
                    var proto = ReadByte();
                    if (proto > 5) throw new InvalidDataException($"unsupported pickle protocol {proto}.");
                    break;
                case 0x95: // FRAME: a length hint only
                    ReadBytes(8);
                    break;
                case '.': // STOP
                    if (_stack.Count != 1 || _marks.Count != 0)
                        throw new InvalidDataException("malformed pickle: the stack does not hold exactly one object at STOP.");
                    return _stack[0];
                case '(': _marks.Push(_stack.Count); break; // MARK
                case '0': // POP
                    if (_marks.Count > 0 && _marks.Peek() == _stack.Count) _marks.Pop();
                    else Pop();
                    break;
                case '1': PopMark(); break; // POP_MARK
                case '2': Push(Top()); break; // DUP
                case '}': Push(new PyDict()); break; // EMPTY_DICT
                case ']': Push(new List<object?>()); break; // EMPTY_LIST
                case ')': Push(PyTuple.Empty); break; // EMPTY_TUPLE
                case 0x8f: Push(new PySet()); break; // EMPTY_SET
                case 'd': // DICT
                {
                    var items = PopMark();
                    var dict = new PyDict();
                    SetItems(dict, items);
                    Push(dict);
                    break;
                }
                case 'l': Push(new List<object?>(PopMark())); break; // LIST
                case 't': Push(new PyTuple(PopMark())); break; // TUPLE
                case 0x85: Push(new PyTuple(new[] { Pop() })); break; // TUPLE1
                case 0x86: // TUPLE2
                {
                    var b = Pop();
                    var a = Pop();
                    Push(new PyTuple(new[] { a, b }));
                    break;
                }
                case 0x87: // TUPLE3
                {
                    var c = Pop();
                    var b = Pop();
                    var a = Pop();
                    Push(new PyTuple(new[] { a, b, c }));
                    break;
                }
                case 0x91: // FROZENSET
                {
                    var set = new PySet();
                    set.AddRange(PopMark());
                    Push(set);
                    break;
                }
                case 'X': Push(Utf8(ReadBytes(ReadUInt32()))); break; // BINUNICODE
                case 0x8c: Push(Utf8(ReadBytes(ReadByte()))); break; // SHORT_BINUNICODE
                case 0x8d: Push(Utf8(ReadBytes(ReadInt64()))); break; // BINUNICODE8
                case 'T': Push(Encoding.Latin1.GetString(ReadBytes(ReadInt32()))); break; // BINSTRING
                case 'U': Push(Encoding.Latin1.GetString(ReadBytes(ReadByte()))); break; // SHORT_BINSTRING
                case 'B': Push(ReadBytes(ReadUInt32())); break; // BINBYTES
                case 'C': Push(ReadBytes(ReadByte())); break; // SHORT_BINBYTES
                case 0x8e: Push(ReadBytes(ReadInt64())); break; // BINBYTES8
                case 'q': _memo[ReadByte()] = Top(); break; // BINPUT
                case 'r': _memo[ReadUInt32()] = Top(); break; // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Top(); break; // MEMOIZE
                case 'p': _memo[ParseLong(ReadLine())] = Top(); break; // PUT
                case 'h': Push(Get(ReadByte())); break; // BINGET
                case 'j': Push(Get(ReadUInt32())); break; // LONG_BINGET
                case 'g': Push(Get(ParseLong(ReadLine()))); break; // GET
                case 'c': // GLOBAL
                {
                    var module = ReadLine();
                    var name = ReadLine();
                    Push(ResolveGlobal(module, name));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop() as string;
                    var module = Pop() as string;
                    if (name is null || module is null) throw new InvalidDataException("malformed pickle: STACK_GLOBAL needs two strings.");
                    Push(ResolveGlobal(module, name));
                    break;
                }
                case 'i': // INST: resolve (and so refuse) the name first, then refuse the opcode itself
                    ResolveGlobal(ReadLine(), ReadLine());
                    throw new InvalidDataException($"unsupported pickle opcode INST at offset {position}.");
                case 'Q': // BINPERSID
                {
                    var pid = Pop();
                    if (_persistentLoad is null) throw new InvalidDataException("unexpected persistent id in this pickle.");
                    if (pid is not PyTuple tuple) throw new InvalidDataException("malformed persistent id (not a tuple).");
                    Push(_persistentLoad(tuple));
                    break;
                }
                case 'J': Push((long)ReadInt32()); break; // BININT
                case 'K': Push((long)ReadByte()); break; // BININT1
                case 'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break; // BININT2
                case 0x8a: Push(ReadLong(ReadByte())); break; // LONG1
                case 0x8b: // LONG4
                {
                    var n = ReadInt32();
                    if (n > 1 << 16) throw new InvalidDataException($"integer of {n} bytes is implausible in a weights file.");
                    Push(ReadLong(n));
                    break;
                }
                case 'I': // INT (text; "00"/"01" are False/True)
                {
                    var text = ReadLine();
                    Push(text switch { "00" => false, "01" => true, _ => ParseLong(text) });
                    break;
                }
                case 'L': Push(ParseBig(ReadLine().TrimEnd('L'))); break; // LONG (text)
                case 'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break; // BINFLOAT
                case 'F': // FLOAT (text)
                {
                    var text = ReadLine();
                    if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                        throw new InvalidDataException($"malformed FLOAT '{text}'.");
                    Push(d);
                    break;
                }
                case 0x88: Push(true); break; // NEWTRUE
                case 0x89: Push(false); break; // NEWFALSE
                case 'N': Push(null); break; // NONE
                case 'R': // REDUCE
                {
                    var args = Pop() as PyTuple ?? throw new InvalidDataException("malformed pickle: REDUCE arguments are not a tuple.");
                    Push(Call(Pop(), args));
                    break;
                }
                case 0x81: // NEWOBJ
                {
                    var args = Pop() as PyTuple ?? throw new InvalidDataException("malformed pickle: NEWOBJ arguments are not a tuple.");
                    var cls = Pop();
                    if (cls is PyGlobal { FullName: "collections.OrderedDict" or "argparse.Namespace" } && args.Count == 0) Push(new PyDict());
                    else throw new InvalidDataException($"refusing to instantiate {Describe(cls)} (NEWOBJ).");
                    break;
                }
                case 'b': // BUILD
                {
                    var state = Pop();
                    Build(Top(), state);
                    break;
                }
                case 's': // SETITEM
                {
                    var value = Pop();
                    var key = Pop();
                    AsDict(Top(), "SETITEM").Set(key, value);
                    break;
                }
                case 'u': // SETITEMS
                {
                    var items = PopMark();
                    SetItems(AsDict(Top(), "SETITEMS"), items);
                    break;
                }
                case 'a': // APPEND
                {
                    var value = Pop();
                    AsList(Top(), "APPEND").Add(value);
                    break;
                }
                case 'e': // APPENDS
                {
                    var items = PopMark();
                    AsList(Top(), "APPENDS").AddRange(items);
                    break;
                }
                case 0x90: // ADDITEMS
                {
                    var items = PopMark();
                    (Top() as PySet ?? throw new InvalidDataException("malformed pickle: ADDITEMS on a non-set.")).AddRange(items);
                    break;
                }
                default:
                    throw new InvalidDataException(
                        $"unsupported pickle opcode 0x{op:x2} ('{(op is >= 32 and < 127 ? (char)op : '?')}') at offset {position}.");
            }
        }
    }

    private object Call(object? callable, PyTuple args)
    {
        if (callable is not PyGlobal g) throw new InvalidDataException($"refusing to call {Describe(callable)} (REDUCE).");
        switch (g.FullName)
        {
            case "collections.OrderedDict":
            {
                var dict = new PyDict();
                if (args.Count == 1 && args[0] is List<object?> pairs)
                    foreach (var pair in pairs)
                        if (pair is PyTuple { Count: 2 } kv) dict.Set(kv[0], kv[1]);
                        else throw new InvalidDataException("malformed OrderedDict items.");
                else if (args.Count != 0) throw new InvalidDataException("unexpected OrderedDict arguments.");
                return dict;
            }
            case "torch._utils._rebuild_tensor_v2" when args.Count is >= 4 and <= 7:
            case "torch._utils._rebuild_tensor" when args.Count == 4:
            {
                var storage = args[0] as StorageRef
                              ?? throw new InvalidDataException($"{g.Name}: first argument is {Describe(args[0])}, not a storage.");
                return new TensorRef(storage, AsLong(args[1], "storage offset"), AsLongs(args[2], "size"), AsLongs(args[3], "stride"));
            }
            case "torch._utils._rebuild_parameter" when args.Count == 3:
            case "torch._utils._rebuild_parameter_with_state" when args.Count == 4:
                return args[0] as TensorRef ?? throw new InvalidDataException($"{g.Name}: data is {Describe(args[0])}, not a tensor.");
            default:
                throw new InvalidDataException($"refusing to call '{g.FullName}' with {args.Count} arguments.");
        }
    }

    private static void Build(object? target, object? state)
    {
        if (target is PyDict dict && state is PyDict attributes)
        {
            foreach (var (key, value) in attributes.Items)
                dict.Attributes[key as string ?? throw new InvalidDataException("malformed BUILD state.")] = value;
            return;
        }
        if (target is TensorRef && state is null) return;
        throw new InvalidDataException($"refusing BUILD on {Describe(target)}.");
    }

    private static void SetItems(PyDict dict, object?[] items)
    {
        if (items.Length % 2 != 0) throw new InvalidDataException("malformed pickle: odd number of dict items.");
        for (var i = 0; i < items.Length; i += 2) dict.Set(items[i], items[i + 1]);
    }

    private static PyDict AsDict(object? o, string op) =>
        o as PyDict ?? throw new InvalidDataException($"malformed pickle: {op} on {Describe(o)}.");

    private static List<object?> AsList(object? o, string op) =>
        o as List<object?> ?? throw new InvalidDataException($"malformed pickle: {op} on {Describe(o)}.");

    internal static long AsLong(object? o, string what) => o switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new InvalidDataException($"{what} is {Describe(o)}, not an integer."),
    };

    private static long[] AsLongs(object? o, string what) =>
        o is PyTuple t ? t.Items.Select(x => AsLong(x, what)).ToArray()
            : throw new InvalidDataException($"{what} is {Describe(o)}, not a tuple.");

    internal static string Describe(object? o) => o switch
    {
        null => "None",
        PyGlobal g => $"'{g.FullName}'",
        string s => $"str '{(s.Length > 40 ? s[..40] + "…" : s)}'",
        _ => o.GetType().Name,
    };

    private void Push(object? o) => _stack.Add(o);

    private object? Pop()
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks.Peek() == _stack.Count))
            throw new InvalidDataException("malformed pickle: stack underflow.");
        var o = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return o;
    }

    private object? Top()
    {
        if (_stack.Count == 0) throw new InvalidDataException("malformed pickle: stack underflow.");
        return _stack[^1];
    }

    private object?[] PopMark()
    {
        if (_marks.Count == 0) throw new InvalidDataException("malformed pickle: no MARK.");
        var start = _marks.Pop();
        var items = _stack.GetRange(start, _stack.Count - start).ToArray();
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    private object? Get(long index) =>
        _memo.TryGetValue(index, out var o) ? o : throw new InvalidDataException($"malformed pickle: memo {index} is unset.");

    private int ReadByte()
    {
        var b = _stream.ReadByte();
        if (b < 0) throw new InvalidDataException("truncated: the file ends inside a pickle.");
        return b;
    }

    private int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4));
    private long ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));

    private long ReadInt64()
    {
        var v = BinaryPrimitives.ReadInt64LittleEndian(ReadBytes(8));
        if (v < 0) throw new InvalidDataException("malformed pickle: negative length.");
        return v;
    }

    private byte[] ReadBytes(long count)
    {
        if (count < 0) throw new InvalidDataException("malformed pickle: negative length.");
        if (count > MaxObjectBytes) throw new InvalidDataException($"pickle object of {count} bytes is implausible in a weights file.");
        if (_stream.CanSeek && count > _stream.Length - _stream.Position)
            throw new InvalidDataException($"truncated: a pickle object of {count} bytes runs past the end of the data.");
        var buffer = new byte[count];
        try { _stream.ReadExactly(buffer); }
        catch (EndOfStreamException) { throw new InvalidDataException("truncated: the file ends inside a pickle."); }
        return buffer;
    }

    private string ReadLine()
    {
        var bytes = new List<byte>();
        while (true)
        {
            var b = ReadByte();
            if (b == '\n') break;
            if (bytes.Count > 4096) throw new InvalidDataException("malformed pickle: text argument too long.");
            bytes.Add((byte)b);
        }
        return Encoding.UTF8.GetString(bytes.ToArray()).TrimEnd('\r');
    }

    private static string Utf8(byte[] bytes)
    {
        try { return new UTF8Encoding(false, true).GetString(bytes); }
        catch (DecoderFallbackException) { throw new InvalidDataException("malformed pickle: invalid UTF-8 string."); }
    }

    private object ReadLong(int n)
    {
        var bytes = ReadBytes(n);
        return Narrow(new BigInteger(bytes, isUnsigned: false, isBigEndian: false));
    }

    private static long ParseLong(string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new InvalidDataException($"malformed integer '{text}'.");

    private static object ParseBig(string text)
    {
        if (!BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
            throw new InvalidDataException($"malformed integer '{text}'.");
        return Narrow(v);
    }

    /// <summary>A long when it fits (what every size and offset is), else the BigInteger.</summary>
    private static object Narrow(BigInteger v)
    {
        if (v >= long.MinValue && v <= long.MaxValue) return (long)v;
        return v;
    }
}
