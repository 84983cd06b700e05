using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace Capvisor.Attestation.Cbor
{
    /// <summary>
    /// Strict RFC 8949 decoder: accepts exactly one well-formed and valid data item and throws
    /// <see cref="AttestationFormatException"/> for anything else.
    /// </summary>
    /// <remarks>
    /// Rejected: truncated input, trailing bytes, reserved additional-information values (28–30),
    /// indefinite lengths where the major type has none, a "break" outside an indefinite item,
    /// indefinite-length string chunks of another type, two-byte simple values below 32, invalid
    /// UTF-8, duplicate map keys, nesting beyond <see cref="CborDecoderOptions.MaxDepth"/> and
    /// more items than <see cref="CborDecoderOptions.MaxItems"/>. Every length and count is checked
    /// against the bytes that remain before anything is allocated: each item takes at least one
    /// byte, so a declared count larger than the rest of the input cannot be honest.
    /// </remarks>
    public static class CborDecoder
    {
        /// <summary>Decodes the single data item that makes up <paramref name="data"/>.</summary>
        /// <exception cref="AttestationFormatException">The input is not exactly one valid item within the limits.</exception>
        public static CborValue Decode(ReadOnlySpan<byte> data, CborDecoderOptions? options = null)
        {
            options ??= CborDecoderOptions.Default;
            if (data.Length > options.MaxInputLength)
            {
                throw new AttestationFormatException($"CBOR input of {data.Length} bytes exceeds the limit of {options.MaxInputLength}");
            }

            var reader = new Reader(data, options);
            var value = reader.ReadItem(0);
            if (reader.Position != data.Length)
            {
                throw new AttestationFormatException($"CBOR: {data.Length - reader.Position} trailing bytes after the item at offset {reader.Position}");
            }

            return value;
        }

        private ref struct Reader
        {
            private const int Break = -1;

            private readonly ReadOnlySpan<byte> _data;
            private readonly CborDecoderOptions _options;
            private int _items;

            public Reader(ReadOnlySpan<byte> data, CborDecoderOptions options)
            {
                _data = data;
                _options = options;
                Position = 0;
                _items = 0;
            }

            public int Position { get; private set; }

            private readonly int Remaining => _data.Length - Position;

            public CborValue ReadItem(int depth)
            {
                var value = ReadItemOrBreak(depth);
                return value ?? throw Error("unexpected break code");
            }

            // Returns null for the break code (0xff), which only indefinite-length items may contain.
            private CborValue? ReadItemOrBreak(int depth)
            {
                if (depth > _options.MaxDepth)
                {
                    throw Error($"nesting deeper than {_options.MaxDepth}");
                }

                if (++_items > _options.MaxItems)
                {
                    throw Error($"more than {_options.MaxItems} data items");
                }

                var start = Position;
                var initial = ReadByte();
                var major = initial >> 5;
                var info = initial & 0x1f;

                if (initial == 0xff)
                {
                    return null;
                }

                if (major == 7)
                {
                    return ReadMajor7(info, start);
                }

                var indefinite = info == 31;
                ulong argument = 0;
                if (indefinite)
                {
                    if (major is 0 or 1 or 6)
                    {
                        throw Error($"indefinite length is not allowed for major type {major}", start);
                    }

                    if (_options.RequireDeterministic)
                    {
                        throw Error("indefinite length in deterministic CBOR", start);
                    }
                }
                else
                {
                    argument = ReadArgument(info, start);
                }

                switch (major)
                {
                    case 0:
                        return CborValue.CreateDecoded(CborKind.UnsignedInteger, argument, null, null, null, null, 0);
                    case 1:
                        return CborValue.CreateDecoded(CborKind.NegativeInteger, argument, null, null, null, null, 0);
                    case 2:
                        return CborValue.CreateDecoded(CborKind.ByteString, 0, indefinite ? ReadChunks(2) : ReadBytes(argument), null, null, null, 0);
                    case 3:
                        {
                            var bytes = indefinite ? ReadChunks(3) : ReadBytes(argument);
                            if (!Utf8.IsValid(bytes))
                            {
                                throw Error("text string is not valid UTF-8", start);
                            }

                            return CborValue.CreateDecoded(CborKind.TextString, 0, null, Encoding.UTF8.GetString(bytes), null, null, 0);
                        }

                    case 4:
                        return CborValue.CreateDecoded(CborKind.Array, 0, null, null, ReadArray(indefinite, argument, depth), null, 0);
                    case 5:
                        return ReadMap(indefinite, argument, depth, start);
                    default:
                        return CborValue.CreateDecoded(CborKind.Tag, argument, null, null, [ReadItem(depth + 1)], null, 0);
                }
            }

            private CborValue ReadMajor7(int info, int start)
            {
                switch (info)
                {
                    case < 24:
                        return CborValue.CreateDecoded(CborKind.Simple, (ulong)info, null, null, null, null, 0);
                    case 24:
                        {
                            var simple = ReadByte();
                            if (simple < 32)
                            {
                                throw Error($"two-byte simple value {simple} below 32", start);
                            }

                            return CborValue.CreateDecoded(CborKind.Simple, simple, null, null, null, null, 0);
                        }

                    case 25:
                        {
                            var half = BinaryPrimitives.ReadHalfBigEndian(Take(2));
                            return CborValue.CreateDecoded(CborKind.Float, 0, null, null, null, null, (double)half);
                        }

                    case 26:
                        {
                            var single = BinaryPrimitives.ReadSingleBigEndian(Take(4));
                            CheckShortestFloat(single, start);
                            return CborValue.CreateDecoded(CborKind.Float, 0, null, null, null, null, single);
                        }

                    case 27:
                        {
                            var d = BinaryPrimitives.ReadDoubleBigEndian(Take(8));
                            CheckShortestFloat(d, start);
                            return CborValue.CreateDecoded(CborKind.Float, 0, null, null, null, null, d);
                        }

                    default:
                        throw Error($"reserved additional information {info} in major type 7", start);
                }
            }

            private readonly void CheckShortestFloat(double value, int start)
            {
                if (!_options.RequireDeterministic)
                {
                    return;
                }

                var wide = Position - start - 1;
                if (CborEncoder.FloatWidth(value) < wide)
                {
                    throw Error("float not in its shortest form", start);
                }
            }

            private ulong ReadArgument(int info, int start)
            {
                ulong value;
                switch (info)
                {
                    case < 24:
                        return (ulong)info;
                    case 24:
                        value = ReadByte();
                        if (_options.RequireDeterministic && value < 24)
                        {
                            throw Error("argument not in its shortest form", start);
                        }

                        return value;
                    case 25:
                        value = BinaryPrimitives.ReadUInt16BigEndian(Take(2));
                        break;
                    case 26:
                        value = BinaryPrimitives.ReadUInt32BigEndian(Take(4));
                        break;
                    case 27:
                        value = BinaryPrimitives.ReadUInt64BigEndian(Take(8));
                        break;
                    default:
                        throw Error($"reserved additional information {info}", start);
                }

                if (_options.RequireDeterministic && CborEncoder.HeadLength(value) != 1 + (1 << (info - 24)))
                {
                    throw Error("argument not in its shortest form", start);
                }

                return value;
            }

            private byte[] ReadBytes(ulong length)
            {
                if (length > (ulong)Remaining)
                {
                    throw Error($"string of {length} bytes is longer than the {Remaining} bytes left");
                }

                return Take((int)length).ToArray();
            }

            private byte[] ReadChunks(int major)
            {
                // The chunks together cannot exceed the input, so the buffer stays bounded.
                using var buffer = new MemoryStream();
                while (true)
                {
                    var start = Position;
                    var initial = ReadByte();
                    if (initial == 0xff)
                    {
                        return buffer.ToArray();
                    }

                    if (initial >> 5 != major || (initial & 0x1f) == 31)
                    {
                        throw Error("indefinite-length string chunk is not a definite string of the same type", start);
                    }

                    if (++_items > _options.MaxItems)
                    {
                        throw Error($"more than {_options.MaxItems} data items");
                    }

                    var length = ReadArgument(initial & 0x1f, start);
                    var chunk = ReadBytes(length);
                    if (major == 3 && !Utf8.IsValid(chunk))
                    {
                        // RFC 8949 §3.2.3: each chunk of a text string must be valid UTF-8 on its own.
                        throw Error("text string chunk is not valid UTF-8", start);
                    }

                    buffer.Write(chunk);
                }
            }

            private CborValue[] ReadArray(bool indefinite, ulong count, int depth)
            {
                if (!indefinite)
                {
                    CheckCount(count, 1);
                    if (count == 0)
                    {
                        return [];
                    }

                    var items = new CborValue[(int)count];
                    for (var i = 0; i < items.Length; i++)
                    {
                        items[i] = ReadItem(depth + 1);
                    }

                    return items;
                }

                var list = new List<CborValue>();
                while (ReadItemOrBreak(depth + 1) is { } item)
                {
                    list.Add(item);
                }

                return list.ToArray();
            }

            private CborValue ReadMap(bool indefinite, ulong count, int depth, int start)
            {
                if (!indefinite)
                {
                    CheckCount(count, 2);
                    if (count == 0)
                    {
                        return CborValue.EmptyMap;
                    }
                }

                var keys = new List<CborValue>(indefinite ? 4 : (int)count);
                var values = new List<CborValue>(keys.Capacity);
                HashSet<CborValue>? seen = null;
                var previousKey = ReadOnlySpan<byte>.Empty;
                for (ulong i = 0; indefinite || i < count; i++)
                {
                    var keyStart = Position;
                    var key = indefinite ? ReadItemOrBreak(depth + 1) : ReadItem(depth + 1);
                    if (key is null)
                    {
                        break;
                    }

                    var keyBytes = _data[keyStart..Position];
                    if (_options.RequireDeterministic && i > 0 && previousKey.SequenceCompareTo(keyBytes) >= 0)
                    {
                        throw Error("map keys not in bytewise order of their encodings", keyStart);
                    }

                    previousKey = keyBytes;
                    if (IsDuplicate(key, keys, ref seen))
                    {
                        throw Error($"duplicate map key {key}", keyStart);
                    }

                    keys.Add(key);
                    values.Add(ReadItem(depth + 1));
                }

                return CborValue.CreateDecoded(CborKind.Map, 0, null, null, keys.ToArray(), values.ToArray(), 0);
            }

            // Small maps (claims, headers, keys) compare pairwise; larger ones switch to a hash set
            // so that duplicate detection stays linear.
            private static bool IsDuplicate(CborValue key, List<CborValue> keys, ref HashSet<CborValue>? seen)
            {
                const int LinearLimit = 16;
                if (seen is null && keys.Count < LinearLimit)
                {
                    foreach (var k in keys)
                    {
                        if (k.Equals(key))
                        {
                            return true;
                        }
                    }

                    return false;
                }

                seen ??= [.. keys];
                return !seen.Add(key);
            }

            private readonly void CheckCount(ulong count, int bytesPerItem)
            {
                if (count > (ulong)Remaining / (ulong)bytesPerItem)
                {
                    throw Error($"declared {count} elements but only {Remaining} bytes are left");
                }
            }

            private byte ReadByte()
            {
                if (Remaining < 1)
                {
                    throw Error("unexpected end of input");
                }

                return _data[Position++];
            }

            private ReadOnlySpan<byte> Take(int length)
            {
                if (Remaining < length)
                {
                    throw Error("unexpected end of input");
                }

                var span = _data.Slice(Position, length);
                Position += length;
                return span;
            }

            private readonly AttestationFormatException Error(string message, int? offset = null) =>
                new($"CBOR: {message} at offset {offset ?? Position}");
        }
    }
}
