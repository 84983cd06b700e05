using System.Collections.ObjectModel;

namespace Capvisor.Attestation.Cbor
{
    /// <summary>
    /// An immutable CBOR data item: what <see cref="CborDecoder"/> produces and
    /// <see cref="CborEncoder"/> writes. Equality is structural, so decoded map keys can be
    /// compared and looked up by value.
    /// </summary>
    /// <remarks>
    /// Accessors that expect a kind (<see cref="AsBytes"/>, <see cref="AsInt64"/>…) throw
    /// <see cref="AttestationFormatException"/> on a mismatch: a value of the wrong type is
    /// a property of the input, not a programming error.
    /// </remarks>
    public sealed class CborValue : IEquatable<CborValue>
    {
        private static readonly CborValue[] NoItems = [];

        private readonly ulong _argument;
        private readonly double _float;
        private readonly byte[]? _bytes;
        private readonly string? _text;
        private readonly CborValue[] _items;
        private readonly CborValue[] _values;

        private CborValue(CborKind kind, ulong argument = 0, byte[]? bytes = null, string? text = null,
            CborValue[]? items = null, CborValue[]? values = null, double number = 0)
        {
            Kind = kind;
            _argument = argument;
            _bytes = bytes;
            _text = text;
            _items = items ?? NoItems;
            _values = values ?? NoItems;
            _float = number;
        }

        /// <summary>The simple value <c>false</c>.</summary>
        public static CborValue False { get; } = new(CborKind.Simple, 20);

        /// <summary>The simple value <c>true</c>.</summary>
        public static CborValue True { get; } = new(CborKind.Simple, 21);

        /// <summary>The simple value <c>null</c>.</summary>
        public static CborValue Null { get; } = new(CborKind.Simple, 22);

        /// <summary>The simple value <c>undefined</c>.</summary>
        public static CborValue Undefined { get; } = new(CborKind.Simple, 23);

        /// <summary>The empty map.</summary>
        public static CborValue EmptyMap { get; } = new(CborKind.Map);

        /// <summary>What kind of item this is.</summary>
        public CborKind Kind { get; }

        /// <summary>True for integers of either sign.</summary>
        public bool IsInteger => Kind is CborKind.UnsignedInteger or CborKind.NegativeInteger;

        /// <summary>True for the simple value null.</summary>
        public bool IsNull => Kind == CborKind.Simple && _argument == 22;

        /// <summary>The tag number of a tag.</summary>
        public ulong TagNumber => Kind == CborKind.Tag ? _argument : throw Mismatch("a tag");

        /// <summary>The item a tag encloses.</summary>
        public CborValue TagContent => Kind == CborKind.Tag ? _items[0] : throw Mismatch("a tag");

        /// <summary>The number of a simple value (0..255; 20 false, 21 true, 22 null, 23 undefined).</summary>
        public byte SimpleValue => Kind == CborKind.Simple ? (byte)_argument : throw Mismatch("a simple value");

        /// <summary>
        /// For a negative integer, the n of -1-n (the encoded argument); for an unsigned integer, its value.
        /// Lets callers see the whole range of major types 0 and 1, which no .NET integer holds.
        /// </summary>
        public ulong RawInteger => IsInteger ? _argument : throw Mismatch("an integer");

        /// <summary>Number of elements of an array or entries of a map.</summary>
        public int Count => Kind is CborKind.Array or CborKind.Map ? _items.Length : throw Mismatch("an array or map");

        /// <summary>The elements of an array.</summary>
        public IReadOnlyList<CborValue> Items =>
            Kind == CborKind.Array ? new ReadOnlyCollection<CborValue>(_items) : throw Mismatch("an array");

        /// <summary>The entries of a map, in the order they were decoded or given.</summary>
        public IEnumerable<KeyValuePair<CborValue, CborValue>> Entries
        {
            get
            {
                if (Kind != CborKind.Map)
                {
                    throw Mismatch("a map");
                }

                return EntriesIterator();
            }
        }

        /// <summary>An unsigned integer.</summary>
        public static CborValue FromUInt64(ulong value) => new(CborKind.UnsignedInteger, value);

        /// <summary>A signed integer, encoded in major type 0 or 1.</summary>
        public static CborValue FromInt64(long value) =>
            value >= 0 ? new(CborKind.UnsignedInteger, (ulong)value) : new(CborKind.NegativeInteger, (ulong)(-1 - value));

        /// <summary>The negative integer -1-<paramref name="n"/>, covering values below <see cref="long.MinValue"/>.</summary>
        public static CborValue FromNegative(ulong n) => new(CborKind.NegativeInteger, n);

        /// <summary>A byte string holding a copy of <paramref name="bytes"/>.</summary>
        public static CborValue FromBytes(ReadOnlySpan<byte> bytes) => new(CborKind.ByteString, bytes: bytes.ToArray());

        /// <summary>A text string.</summary>
        public static CborValue FromText(string text)
        {
            ArgumentNullException.ThrowIfNull(text);
            return new(CborKind.TextString, text: text);
        }

        /// <summary>An array of the given elements.</summary>
        public static CborValue FromArray(params IEnumerable<CborValue> items)
        {
            var array = items.ToArray();
            foreach (var item in array)
            {
                ArgumentNullException.ThrowIfNull(item);
            }

            return new(CborKind.Array, items: array);
        }

        /// <summary>A map of the given entries, kept in order; duplicate keys are refused.</summary>
        /// <exception cref="ArgumentException">Two entries have equal keys.</exception>
        public static CborValue FromMap(IEnumerable<KeyValuePair<CborValue, CborValue>> entries)
        {
            var keys = new List<CborValue>();
            var values = new List<CborValue>();
            var seen = new HashSet<CborValue>();
            foreach (var (key, value) in entries)
            {
                ArgumentNullException.ThrowIfNull(key);
                ArgumentNullException.ThrowIfNull(value);
                if (!seen.Add(key))
                {
                    throw new ArgumentException($"duplicate map key {key}", nameof(entries));
                }

                keys.Add(key);
                values.Add(value);
            }

            return new(CborKind.Map, items: keys.ToArray(), values: values.ToArray());
        }

        /// <summary>A map from integer keys, the usual shape of COSE headers and CCA claims.</summary>
        public static CborValue FromMap(params IEnumerable<(long Key, CborValue Value)> entries) =>
            FromMap(entries.Select(e => new KeyValuePair<CborValue, CborValue>(FromInt64(e.Key), e.Value)));

        /// <summary>A tagged item.</summary>
        public static CborValue FromTag(ulong tag, CborValue content)
        {
            ArgumentNullException.ThrowIfNull(content);
            return new(CborKind.Tag, tag, items: [content]);
        }

        /// <summary>A boolean.</summary>
        public static CborValue FromBoolean(bool value) => value ? True : False;

        /// <summary>A simple value by number; 24..31 are not simple values (RFC 8949 §3.3).</summary>
        public static CborValue FromSimple(byte value)
        {
            if (value is >= 24 and < 32)
            {
                throw new ArgumentOutOfRangeException(nameof(value), "simple values 24..31 are reserved");
            }

            return new(CborKind.Simple, value);
        }

        /// <summary>A floating-point number.</summary>
        public static CborValue FromDouble(double value) => new(CborKind.Float, number: value);

        /// <summary>Converts an integer.</summary>
        public static implicit operator CborValue(long value) => FromInt64(value);

        /// <summary>Converts a text string.</summary>
        public static implicit operator CborValue(string value) => FromText(value);

        /// <summary>Converts a byte string.</summary>
        public static implicit operator CborValue(byte[] value) => FromBytes(value);

        /// <summary>The value of an integer that fits in 64 signed bits.</summary>
        public long AsInt64()
        {
            if (TryGetInt64(out var value))
            {
                return value;
            }

            throw IsInteger ? new AttestationFormatException($"integer {this} does not fit in 64 bits") : Mismatch("an integer");
        }

        /// <summary>The value of an integer if it fits in 64 signed bits.</summary>
        public bool TryGetInt64(out long value)
        {
            value = 0;
            if (Kind == CborKind.UnsignedInteger && _argument <= long.MaxValue)
            {
                value = (long)_argument;
                return true;
            }

            if (Kind == CborKind.NegativeInteger && _argument <= long.MaxValue)
            {
                value = -1 - (long)_argument;
                return true;
            }

            return false;
        }

        /// <summary>The value of an unsigned integer.</summary>
        public ulong AsUInt64() => Kind == CborKind.UnsignedInteger ? _argument : throw Mismatch("an unsigned integer");

        /// <summary>The contents of a byte string (not a copy: do not change it).</summary>
        public byte[] AsBytes() => Kind == CborKind.ByteString ? _bytes! : throw Mismatch("a byte string");

        /// <summary>The contents of a text string.</summary>
        public string AsText() => Kind == CborKind.TextString ? _text! : throw Mismatch("a text string");

        /// <summary>The value of false or true.</summary>
        public bool AsBoolean() =>
            Kind == CborKind.Simple && _argument is 20 or 21 ? _argument == 21 : throw Mismatch("a boolean");

        /// <summary>The value of a float.</summary>
        public double AsDouble() => Kind == CborKind.Float ? _float : throw Mismatch("a float");

        /// <summary>Looks a key up in a map.</summary>
        public bool TryGetValue(CborValue key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CborValue? value)
        {
            if (Kind != CborKind.Map)
            {
                throw Mismatch("a map");
            }

            for (var i = 0; i < _items.Length; i++)
            {
                if (_items[i].Equals(key))
                {
                    value = _values[i];
                    return true;
                }
            }

            value = null;
            return false;
        }

        /// <summary>Looks an integer key up in a map.</summary>
        public bool TryGetValue(long key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CborValue? value) =>
            TryGetValue(FromInt64(key), out value);

        /// <summary>The deterministic encoding of this item (RFC 8949 §4.2.1).</summary>
        public byte[] Encode() => CborEncoder.Encode(this);

        /// <inheritdoc/>
        public bool Equals(CborValue? other)
        {
            if (ReferenceEquals(this, other))
            {
                return true;
            }

            if (other is null || other.Kind != Kind || other._argument != _argument)
            {
                return false;
            }

            return Kind switch
            {
                CborKind.ByteString => _bytes.AsSpan().SequenceEqual(other._bytes),
                CborKind.TextString => string.Equals(_text, other._text, StringComparison.Ordinal),
                CborKind.Float => FloatBits(_float) == FloatBits(other._float),
                CborKind.Array or CborKind.Tag => _items.AsSpan().SequenceEqual(other._items),
                CborKind.Map => MapEquals(other),
                _ => true,
            };
        }

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as CborValue);

        /// <inheritdoc/>
        public override int GetHashCode()
        {
            var hash = new HashCode();
            hash.Add(Kind);
            hash.Add(_argument);
            switch (Kind)
            {
                case CborKind.ByteString:
                    hash.AddBytes(_bytes);
                    break;
                case CborKind.TextString:
                    hash.Add(_text, StringComparer.Ordinal);
                    break;
                case CborKind.Float:
                    hash.Add(FloatBits(_float));
                    break;
                case CborKind.Array or CborKind.Tag:
                    // Deep, so that hostile maps with many similar composite keys cannot turn
                    // duplicate detection quadratic through hash collisions.
                    foreach (var item in _items)
                    {
                        hash.Add(item.GetHashCode());
                    }

                    break;
                case CborKind.Map:
                    var entries = 0;
                    for (var i = 0; i < _items.Length; i++)
                    {
                        // Order-independent, as map equality is.
                        entries += HashCode.Combine(_items[i].GetHashCode(), _values[i].GetHashCode());
                    }

                    hash.Add(entries);
                    break;
            }

            return hash.ToHashCode();
        }

        /// <summary>A short, diagnostic-notation-like rendering for messages.</summary>
        public override string ToString() => Kind switch
        {
            CborKind.UnsignedInteger => _argument.ToString(System.Globalization.CultureInfo.InvariantCulture),
            CborKind.NegativeInteger => "-" + ((System.Numerics.BigInteger)_argument + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            CborKind.ByteString => _bytes!.Length <= 16 ? $"h'{Convert.ToHexStringLower(_bytes)}'" : $"h'{Convert.ToHexStringLower(_bytes.AsSpan(0, 16))}…' ({_bytes.Length} bytes)",
            CborKind.TextString => "\"" + (_text!.Length <= 40 ? _text : _text[..40] + "…") + "\"",
            CborKind.Array => $"[{_items.Length} items]",
            CborKind.Map => $"{{{_items.Length} entries}}",
            CborKind.Tag => $"{_argument}({_items[0]})",
            CborKind.Float => _float.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            _ => _argument switch { 20 => "false", 21 => "true", 22 => "null", 23 => "undefined", _ => $"simple({_argument})" },
        };

        internal static CborValue CreateDecoded(CborKind kind, ulong argument, byte[]? bytes, string? text,
            CborValue[]? items, CborValue[]? values, double number) =>
            new(kind, argument, bytes, text, items, values, number);

        internal ReadOnlySpan<CborValue> MapKeys => _items;

        internal ReadOnlySpan<CborValue> MapValues => _values;

        private IEnumerable<KeyValuePair<CborValue, CborValue>> EntriesIterator()
        {
            for (var i = 0; i < _items.Length; i++)
            {
                yield return new KeyValuePair<CborValue, CborValue>(_items[i], _values[i]);
            }
        }

        // By bits, so that 0.0 and -0.0 differ as their encodings do; but every NaN is one value,
        // because deterministic encoding writes all of them as the same half-precision NaN.
        private static long FloatBits(double value) =>
            double.IsNaN(value) ? BitConverter.DoubleToInt64Bits(double.NaN) : BitConverter.DoubleToInt64Bits(value);

        private bool MapEquals(CborValue other)
        {
            // Maps are unordered (RFC 8949 §5.6): equal when every key maps to an equal value.
            if (_items.Length != other._items.Length)
            {
                return false;
            }

            for (var i = 0; i < _items.Length; i++)
            {
                if (!other.TryGetValue(_items[i], out var v) || !v.Equals(_values[i]))
                {
                    return false;
                }
            }

            return true;
        }

        private AttestationFormatException Mismatch(string expected) =>
            new($"expected {expected}, found {Describe(Kind)} {this}");

        internal static string Describe(CborKind kind) => kind switch
        {
            CborKind.UnsignedInteger or CborKind.NegativeInteger => "integer",
            CborKind.ByteString => "byte string",
            CborKind.TextString => "text string",
            CborKind.Array => "array",
            CborKind.Map => "map",
            CborKind.Tag => "tag",
            CborKind.Float => "float",
            _ => "simple value",
        };
    }
}
