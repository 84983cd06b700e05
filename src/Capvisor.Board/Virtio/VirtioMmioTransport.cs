using Capvisor.Board.Devices;
using Capvisor.Board.Memory;

namespace Capvisor.Board.Virtio
{
    /// <summary>
    /// The virtio-mmio transport, version 2 (virtio 1.1 §4.2.2), 0x200 bytes of registers with the
    /// device configuration space at 0x100. Queue notifications run the device synchronously on the
    /// emulation thread. A driver error (bad ring layout, bad descriptor chain, notifying a queue
    /// that is not ready) sets DEVICE_NEEDS_RESET, raises a configuration-change interrupt and stops
    /// the device until the driver resets it.
    /// </summary>
    public sealed class VirtioMmioTransport : IMmioDevice
    {
        /// <summary>Size of one transport's register window.</summary>
        public const ulong Size = 0x200;

        /// <summary>"virt" in little-endian.</summary>
        public const uint Magic = 0x74726976;

        /// <summary>VendorID: QEMU's ("QEMU").</summary>
        public const uint VendorId = 0x554D4551;

        /// <summary>VIRTIO_F_VERSION_1.</summary>
        public const ulong FeatureVersion1 = 1ul << 32;

        /// <summary>VIRTIO_F_INDIRECT_DESC (VIRTIO_RING_F_INDIRECT_DESC).</summary>
        public const ulong FeatureIndirectDesc = 1ul << 28;

        /// <summary>Status bits.</summary>
        public const uint StatusAcknowledge = 1, StatusDriver = 2, StatusDriverOk = 4, StatusFeaturesOk = 8, StatusNeedsReset = 64, StatusFailed = 128;

        private const int RegMagic = 0x000, RegVersion = 0x004, RegDeviceId = 0x008, RegVendorId = 0x00C;
        private const int RegDeviceFeatures = 0x010, RegDeviceFeaturesSel = 0x014, RegDriverFeatures = 0x020, RegDriverFeaturesSel = 0x024;
        private const int RegQueueSel = 0x030, RegQueueNumMax = 0x034, RegQueueNum = 0x038, RegQueueReady = 0x044, RegQueueNotify = 0x050;
        private const int RegInterruptStatus = 0x060, RegInterruptAck = 0x064, RegStatus = 0x070;
        private const int RegQueueDescLow = 0x080, RegQueueDescHigh = 0x084, RegQueueDriverLow = 0x090, RegQueueDriverHigh = 0x094;
        private const int RegQueueDeviceLow = 0x0A0, RegQueueDeviceHigh = 0x0A4, RegConfigGeneration = 0x0FC, Config = 0x100;

        private readonly IVirtioDevice _device;
        private readonly IInterruptLine? _irq;
        private readonly Virtqueue[] _queues;
        private uint _deviceFeaturesSel, _driverFeaturesSel, _queueSel, _status, _interruptStatus;
        private ulong _driverFeatures;
        private bool _lineLevel;

        /// <summary>Puts <paramref name="device"/> behind a transport whose interrupt is <paramref name="irq"/>.</summary>
        public VirtioMmioTransport(IVirtioDevice device, PhysicalAddressSpace memory, IInterruptLine? irq)
        {
            _device = device;
            _irq = irq;
            _queues = new Virtqueue[device.QueueCount];
            for (int i = 0; i < _queues.Length; i++)
            {
                _queues[i] = new Virtqueue(memory, device.QueueMaxSize);
            }
        }

        /// <summary>The device.</summary>
        public IVirtioDevice Device => _device;

        /// <summary>The Status register.</summary>
        public uint Status => _status;

        /// <summary>The InterruptStatus register.</summary>
        public uint InterruptStatus => _interruptStatus;

        /// <summary>Why the device last entered DEVICE_NEEDS_RESET, or null.</summary>
        public string? Error { get; private set; }

        /// <summary>The features the driver accepted.</summary>
        public ulong DriverFeatures => _driverFeatures;

        private ulong OfferedFeatures => _device.Features | FeatureVersion1 | FeatureIndirectDesc;

        private Virtqueue? Selected => _queueSel < (uint)_queues.Length ? _queues[_queueSel] : null;

        /// <inheritdoc/>
        public bool Read(ulong offset, int size, out ulong value)
        {
            value = 0;
            if (offset >= Size)
            {
                return false;
            }

            int off = (int)offset;
            if (off >= Config)
            {
                for (int i = 0; i < size; i++)
                {
                    value |= (ulong)_device.ReadConfig(off - Config + i) << (8 * i);
                }

                return true;
            }

            if (size != 4 || (off & 3) != 0)
            {
                return true; // the driver must use 32-bit accesses; others read 0, as on QEMU
            }

            var q = Selected;
            value = off switch
            {
                RegMagic => Magic,
                RegVersion => 2,
                RegDeviceId => _device.DeviceId,
                RegVendorId => VendorId,
                RegDeviceFeatures => _deviceFeaturesSel switch
                {
                    0 => (uint)OfferedFeatures,
                    1 => (uint)(OfferedFeatures >> 32),
                    _ => 0u,
                },
                RegQueueNumMax => q == null ? 0u : (uint)q.MaxSize,
                RegQueueReady => q is { Ready: true } ? 1u : 0u,
                RegInterruptStatus => _interruptStatus,
                RegStatus => _status,
                RegConfigGeneration => 0u,
                _ => 0u,
            };
            return true;
        }

        /// <inheritdoc/>
        public bool Write(ulong offset, int size, ulong value)
        {
            if (offset >= Size)
            {
                return false;
            }

            int off = (int)offset;
            if (off >= Config)
            {
                for (int i = 0; i < size; i++)
                {
                    _device.WriteConfig(off - Config + i, (byte)(value >> (8 * i)));
                }

                return true;
            }

            if (size != 4 || (off & 3) != 0)
            {
                return true; // ignored, as on QEMU
            }

            uint v = (uint)value;
            var q = Selected;
            bool queueWritable = q is { Ready: false } && (_status & StatusDriverOk) == 0;
            switch (off)
            {
                case RegDeviceFeaturesSel: _deviceFeaturesSel = v; break;
                case RegDriverFeaturesSel: _driverFeaturesSel = v; break;
                case RegDriverFeatures:
                    if ((_status & StatusFeaturesOk) == 0 && _driverFeaturesSel < 2)
                    {
                        int shift = 32 * (int)_driverFeaturesSel;
                        _driverFeatures = (_driverFeatures & ~(0xFFFF_FFFFul << shift)) | ((ulong)v << shift);
                    }

                    break;
                case RegQueueSel: _queueSel = v; break;
                case RegQueueNum when queueWritable: q!.Size = (int)Math.Min(v, 0x10000); break;
                case RegQueueDescLow when queueWritable: q!.DescAddr = (q.DescAddr & ~0xFFFF_FFFFul) | v; break;
                case RegQueueDescHigh when queueWritable: q!.DescAddr = (q.DescAddr & 0xFFFF_FFFFul) | ((ulong)v << 32); break;
                case RegQueueDriverLow when queueWritable: q!.AvailAddr = (q.AvailAddr & ~0xFFFF_FFFFul) | v; break;
                case RegQueueDriverHigh when queueWritable: q!.AvailAddr = (q.AvailAddr & 0xFFFF_FFFFul) | ((ulong)v << 32); break;
                case RegQueueDeviceLow when queueWritable: q!.UsedAddr = (q.UsedAddr & ~0xFFFF_FFFFul) | v; break;
                case RegQueueDeviceHigh when queueWritable: q!.UsedAddr = (q.UsedAddr & 0xFFFF_FFFFul) | ((ulong)v << 32); break;
                case RegQueueReady when q != null:
                    if ((v & 1) == 0)
                    {
                        q.Reset();
                    }
                    else if (!q.Ready)
                    {
                        Guard(() =>
                        {
                            q.Validate();
                            q.Ready = true;
                        });
                    }

                    break;
                case RegQueueNotify: Notify(v); break;
                case RegInterruptAck:
                    _interruptStatus &= ~v;
                    UpdateLine();
                    break;
                case RegStatus: WriteStatus(v); break;
            }

            return true;
        }

        private void WriteStatus(uint v)
        {
            if (v == 0)
            {
                Reset();
                return;
            }

            if ((v & StatusFeaturesOk) != 0 && (_status & StatusFeaturesOk) == 0)
            {
                // Accept FEATURES_OK only for a subset of what was offered that includes VERSION_1
                // (no legacy interface); otherwise the driver reads it back clear and gives up.
                if ((_driverFeatures & ~OfferedFeatures) != 0 || (_driverFeatures & FeatureVersion1) == 0)
                {
                    v &= ~StatusFeaturesOk;
                }
            }

            if ((v & StatusDriverOk) != 0 && (v & StatusFeaturesOk) == 0 && (_status & StatusFeaturesOk) == 0)
            {
                NeedsReset("DRIVER_OK without FEATURES_OK");
                return;
            }

            _status = (v & ~StatusNeedsReset) | (_status & StatusNeedsReset);
            if ((v & StatusDriverOk) != 0 && (_status & StatusNeedsReset) == 0)
            {
                // Buffers made available before DRIVER_OK are taken now.
                for (uint i = 0; i < _queues.Length; i++)
                {
                    if (_queues[i].Ready)
                    {
                        Notify(i);
                    }
                }
            }
        }

        private void Notify(uint index)
        {
            if ((_status & StatusNeedsReset) != 0 || (_status & StatusDriverOk) == 0 || index >= (uint)_queues.Length)
            {
                return; // a broken device, or one not yet live, or a queue that does not exist
            }

            try
            {
                if (_queues[index].Process(_device, (int)index, (_driverFeatures & FeatureIndirectDesc) != 0))
                {
                    Interrupt(1);
                }
            }
            catch (VirtioException e)
            {
                NeedsReset(e.Message);
            }
            catch (IOException e)
            {
                NeedsReset($"host I/O error: {e.Message}");
            }
        }

        /// <summary>Reset: every register and queue to its initial state, the interrupt lowered.</summary>
        public void Reset()
        {
            _status = 0;
            _deviceFeaturesSel = _driverFeaturesSel = _queueSel = 0;
            _driverFeatures = 0;
            _interruptStatus = 0;
            Error = null;
            foreach (var q in _queues)
            {
                q.Reset();
            }

            _device.Reset();
            UpdateLine();
        }

        /// <summary>Lets a device with new data (e.g. console input) process a queue outside a notification.</summary>
        public void Kick(int queue) => Notify((uint)queue);

        private void Guard(Action action)
        {
            try
            {
                action();
            }
            catch (VirtioException e)
            {
                NeedsReset(e.Message);
            }
            catch (IOException e)
            {
                NeedsReset($"host I/O error: {e.Message}");
            }
        }

        private void NeedsReset(string why)
        {
            Error = why;
            _status |= StatusNeedsReset;
            if ((_status & StatusDriverOk) != 0)
            {
                Interrupt(2);
            }
        }

        private void Interrupt(uint bits)
        {
            _interruptStatus |= bits;
            UpdateLine();
        }

        private void UpdateLine()
        {
            bool level = _interruptStatus != 0;
            if (level != _lineLevel)
            {
                _lineLevel = level;
                _irq?.Set(level);
            }
        }
    }
}
