using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Capvisor.Attestation.Cbor
{
    /// <summary>
    /// Writes CBOR in the core deterministic encoding of RFC 8949 §4.2.1: shortest arguments,
    /// definite lengths, shortest floats that keep the value, map keys sorted by the bytewise
    /// order of their encodings. Equal values therefore always give equal bytes, which is what
    /// signed structures need.
    /// </summary>
    public sealed class CborEncoder
    {
        private readonly ArrayBufferWriter<byte> _buffer = new();

        /// <summary>The bytes written so far.</summary>
        public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

        /// <summary>Encodes one value deterministically.</summary>
        public static byte[] Encode(CborValue value)
        {
            var encoder = new CborEncoder();
            encoder.WriteValue(value);
            return encoder.WrittenSpan.ToArray();
        }

        /// <summary>Writes an unsigned integer.</summary>
        public void WriteUInt64(ulong value) => WriteHead(0, value);

        /// <summary>Writes a signed integer.</summary>
        public void WriteInt64(long value)
        {
            if (value >= 0)
            {
                WriteHead(0, (ulong)value);
            }
            else
            {
                WriteHead(1, (ulong)(-1 - value));
            }
        }

        /// <summary>Writes a byte string.</summary>
        public void WriteByteString(ReadOnlySpan<byte> bytes)
        {
            WriteHead(2, (ulong)bytes.Length);
            _buffer.Write(bytes);
        }

        /// <summary>Writes a text string.</summary>
        public void WriteTextString(string text)
        {
            var length = Encoding.UTF8.GetByteCount(text);
            WriteHead(3, (ulong)length);
            var span = _buffer.GetSpan(length);
            Encoding.UTF8.GetBytes(text, span);
            _buffer.Advance(length);
        }

        /// <summary>Starts an array of <paramref name="count"/> elements, which the caller writes next.</summary>
        public void WriteStartArray(int count) => WriteHead(4, (ulong)count);

        /// <summary>
        /// Starts a map of <paramref name="count"/> entries, which the caller writes next, keys in
        /// deterministic order (use <see cref="WriteValue"/> to have them sorted).
        /// </summary>
        public void WriteStartMap(int count) => WriteHead(5, (ulong)count);

        /// <summary>Writes a tag number; the tagged item follows.</summary>
        public void WriteTag(ulong tag) => WriteHead(6, tag);

        /// <summary>Writes false or true.</summary>
        public void WriteBoolean(bool value) => WriteByte(value ? (byte)0xf5 : (byte)0xf4);

        /// <summary>Writes null.</summary>
        public void WriteNull() => WriteByte(0xf6);

        /// <summary>Writes an already encoded item verbatim.</summary>
        public void WriteEncoded(ReadOnlySpan<byte> encoded) => _buffer.Write(encoded);

        /// <summary>Writes any value, sorting the keys of every map.</summary>
        public void WriteValue(CborValue value)
        {
            ArgumentNullException.ThrowIfNull(value);
            switch (value.Kind)
            {
                case CborKind.UnsignedInteger:
                    WriteHead(0, value.RawInteger);
                    break;
                case CborKind.NegativeInteger:
                    WriteHead(1, value.RawInteger);
                    break;
                case CborKind.ByteString:
                    WriteByteString(value.AsBytes());
                    break;
                case CborKind.TextString:
                    WriteTextString(value.AsText());
                    break;
                case CborKind.Array:
                    WriteStartArray(value.Count);
                    foreach (var item in value.Items)
                    {
                        WriteValue(item);
                    }

                    break;
                case CborKind.Map:
                    WriteMap(value);
                    break;
                case CborKind.Tag:
                    WriteTag(value.TagNumber);
                    WriteValue(value.TagContent);
                    break;
                case CborKind.Float:
                    WriteDouble(value.AsDouble());
                    break;
                default:
                    var simple = value.SimpleValue;
                    if (simple < 24)
                    {
                        WriteByte((byte)(0xe0 | simple));
                    }
                    else
                    {
                        WriteByte(0xf8);
                        WriteByte(simple);
                    }

                    break;
            }
        }

        /// <summary>Writes a float in the shortest of half, single and double precision that keeps its value.</summary>
        public void WriteDouble(double value)
        {
            switch (FloatWidth(value))
            {
                case 2:
                    WriteByte(0xf9);
                    BinaryPrimitives.WriteHalfBigEndian(_buffer.GetSpan(2), (Half)value);
                    _buffer.Advance(2);
                    break;
                case 4:
                    WriteByte(0xfa);
                    BinaryPrimitives.WriteSingleBigEndian(_buffer.GetSpan(4), (float)value);
                    _buffer.Advance(4);
                    break;
                default:
                    WriteByte(0xfb);
                    BinaryPrimitives.WriteDoubleBigEndian(_buffer.GetSpan(8), value);
                    _buffer.Advance(8);
                    break;
            }
        }

        internal static int FloatWidth(double value)
        {
            if (double.IsNaN(value))
            {
                return 2; // RFC 8949 §4.2.2: NaN as the half-precision quiet NaN 0xf97e00.
            }

            if ((double)(Half)value == value)
            {
                return 2;
            }

            return (double)(float)value == value ? 4 : 8;
        }

        internal static int HeadLength(ulong argument) => argument switch
        {
            < 24 => 1,
            <= byte.MaxValue => 2,
            <= ushort.MaxValue => 3,
            <= uint.MaxValue => 5,
            _ => 9,
        };

        private void WriteMap(CborValue map)
        {
            var keys = map.MapKeys;
            var values = map.MapValues;
            var encodedKeys = new (byte[] Key, int Index)[keys.Length];
            for (var i = 0; i < keys.Length; i++)
            {
                encodedKeys[i] = (Encode(keys[i]), i);
            }

            Array.Sort(encodedKeys, static (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
            WriteStartMap(keys.Length);
            foreach (var (key, index) in encodedKeys)
            {
                _buffer.Write(key);
                WriteValue(values[index]);
            }
        }

        private void WriteHead(int major, ulong argument)
        {
            var span = _buffer.GetSpan(9);
            var top = (byte)(major << 5);
            var length = HeadLength(argument);
            switch (length)
            {
                case 1:
                    span[0] = (byte)(top | (byte)argument);
                    break;
                case 2:
                    span[0] = (byte)(top | 24);
                    span[1] = (byte)argument;
                    break;
                case 3:
                    span[0] = (byte)(top | 25);
                    BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)argument);
                    break;
                case 5:
                    span[0] = (byte)(top | 26);
                    BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)argument);
                    break;
                default:
                    span[0] = (byte)(top | 27);
                    BinaryPrimitives.WriteUInt64BigEndian(span[1..], argument);
                    break;
            }

            _buffer.Advance(length);
        }

        private void WriteByte(byte value)
        {
            _buffer.GetSpan(1)[0] = value;
            _buffer.Advance(1);
        }
    }
}
