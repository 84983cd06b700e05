using System.Buffers.Binary;

namespace Capvisor.Board.Virtio
{
    /// <summary>
    /// virtio-blk (virtio 1.1 §5.2) on a host stream of 512-byte sectors: IN, OUT, FLUSH and GET_ID,
    /// read-only disks (VIRTIO_BLK_F_RO; writes fail with S_IOERR), sector bounds checks (S_IOERR)
    /// and S_UNSUPP for other request types. The capacity is the stream length in whole sectors.
    /// </summary>
    public sealed class VirtioBlock : IVirtioDevice
    {
        /// <summary>Request types.</summary>
        public const uint TypeIn = 0, TypeOut = 1, TypeFlush = 4, TypeGetId = 8;

        /// <summary>Status byte values.</summary>
        public const byte StatusOk = 0, StatusIoErr = 1, StatusUnsupp = 2;

        /// <summary>Feature bits.</summary>
        public const int FeatureSegMax = 2, FeatureRo = 5, FeatureBlkSize = 6, FeatureFlush = 9;

        /// <summary>Sector size.</summary>
        public const int SectorSize = 512;

        /// <summary>Queue size (QEMU's default).</summary>
        public const int QueueSize = 256;

        private const int IdLength = 20;
        private readonly Stream _file;
        private readonly byte[] _config = new byte[24];
        private readonly byte[] _buffer = new byte[64 * 1024];
        private readonly byte[] _serial = new byte[IdLength];

        /// <summary>Serves <paramref name="file"/> (seekable; writable unless <paramref name="readOnly"/>).</summary>
        public VirtioBlock(Stream file, bool readOnly, string? serial = null)
        {
            if (!file.CanSeek || !file.CanRead || (!readOnly && !file.CanWrite))
            {
                throw new ArgumentException("a disk must be a seekable stream, writable unless read-only", nameof(file));
            }

            _file = file;
            ReadOnly = readOnly;
            Capacity = (ulong)file.Length / SectorSize;
            System.Text.Encoding.ASCII.GetBytes((serial ?? "").AsSpan(0, Math.Min(IdLength, serial?.Length ?? 0)), _serial);
            BinaryPrimitives.WriteUInt64LittleEndian(_config, Capacity);       // capacity
            BinaryPrimitives.WriteUInt32LittleEndian(_config.AsSpan(12), QueueSize - 2); // seg_max
            BinaryPrimitives.WriteUInt32LittleEndian(_config.AsSpan(20), SectorSize);    // blk_size
        }

        /// <summary>Whether writes are refused.</summary>
        public bool ReadOnly { get; }

        /// <summary>Size in 512-byte sectors.</summary>
        public ulong Capacity { get; }

        /// <inheritdoc/>
        public uint DeviceId => 2;

        /// <inheritdoc/>
        public ulong Features => (1ul << FeatureSegMax) | (1ul << FeatureBlkSize) | (1ul << FeatureFlush) | (ReadOnly ? 1ul << FeatureRo : 0);

        /// <inheritdoc/>
        public int QueueCount => 1;

        /// <inheritdoc/>
        public int QueueMaxSize => QueueSize;

        /// <inheritdoc/>
        public byte ReadConfig(int offset) => (uint)offset < (uint)_config.Length ? _config[offset] : (byte)0;

        /// <inheritdoc/>
        public void WriteConfig(int offset, byte value)
        {
        }

        /// <inheritdoc/>
        public void Reset()
        {
        }

        /// <inheritdoc/>
        public bool Handle(int queue, VirtioRequest request, out uint written)
        {
            // Header (16 bytes, device-readable) ... status (last device-writable byte).
            if (request.ReadableLength < 16 || request.WritableLength < 1)
            {
                throw new VirtioException("virtio-blk request without a header or a status byte");
            }

            Span<byte> header = stackalloc byte[16];
            request.Read(0, header);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(header);
            ulong sector = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
            long statusAt = request.WritableLength - 1;
            byte status;
            written = 1;
            switch (type)
            {
                case TypeIn:
                    status = Transfer(request, sector, request.WritableLength - 1, write: false);
                    if (status == StatusOk)
                    {
                        written = (uint)Math.Min(request.WritableLength, uint.MaxValue);
                    }

                    break;
                case TypeOut:
                    status = ReadOnly ? StatusIoErr : Transfer(request, sector, request.ReadableLength - 16, write: true);
                    break;
                case TypeFlush:
                    if (!ReadOnly)
                    {
                        _file.Flush();
                        if (_file is FileStream fs)
                        {
                            fs.Flush(flushToDisk: true);
                        }
                    }

                    status = StatusOk;
                    break;
                case TypeGetId:
                    int n = (int)Math.Min(IdLength, request.WritableLength - 1);
                    request.Write(0, _serial.AsSpan(0, n));
                    written = (uint)n + 1;
                    status = StatusOk;
                    break;
                default:
                    status = StatusUnsupp;
                    break;
            }

            Span<byte> s = [status];
            request.Write(statusAt, s);
            return true;
        }

        private byte Transfer(VirtioRequest request, ulong sector, long length, bool write)
        {
            if (length % SectorSize != 0 || sector > Capacity || (ulong)(length / SectorSize) > Capacity - sector)
            {
                return StatusIoErr;
            }

            long position = (long)sector * SectorSize;
            for (long done = 0; done < length;)
            {
                int n = (int)Math.Min(_buffer.Length, length - done);
                var chunk = _buffer.AsSpan(0, n);
                _file.Position = position + done;
                if (write)
                {
                    request.Read(16 + done, chunk);
                    _file.Write(chunk);
                }
                else
                {
                    _file.ReadExactly(chunk);
                    request.Write(done, chunk);
                }

                done += n;
            }

            return StatusOk;
        }
    }
}
