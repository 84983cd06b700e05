namespace Capvisor.Arm
{
    /// <summary>
    /// The CRC32 and CRC32C instructions: the bit-reflected CRC update of the low
    /// <c>size</c> bytes of the data into the accumulator, without pre- or post-inversion.
    /// </summary>
    internal static class Crc
    {
        private static readonly uint[] Ieee = BuildTable(0xEDB8_8320u);
        private static readonly uint[] Castagnoli = BuildTable(0x82F6_3B78u);

        private static uint[] BuildTable(uint polynomial)
        {
            var table = new uint[256];
            for (uint i = 0; i < 256; i++)
            {
                uint c = i;
                for (int k = 0; k < 8; k++)
                {
                    c = (c & 1) != 0 ? (c >> 1) ^ polynomial : c >> 1;
                }

                table[i] = c;
            }

            return table;
        }

        public static uint Update(uint crc, ulong data, int size, bool castagnoli)
        {
            uint[] table = castagnoli ? Castagnoli : Ieee;
            for (int i = 0; i < size; i++)
            {
                crc = table[(crc ^ (uint)(data >> (8 * i))) & 0xFF] ^ (crc >> 8);
            }

            return crc;
        }
    }
}
