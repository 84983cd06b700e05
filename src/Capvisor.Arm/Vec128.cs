using System.Runtime.CompilerServices;

namespace Capvisor.Arm
{
    /// <summary>A 128-bit vector value held in two 64-bit halves, with element accessors.</summary>
    internal struct Vec128
    {
        public ulong Lo, Hi;

        public Vec128(ulong lo, ulong hi)
        {
            Lo = lo;
            Hi = hi;
        }

        /// <summary>Element <paramref name="i"/> of size 8 &lt;&lt; <paramref name="es"/> bits, zero-extended.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly ulong Get(int i, int es)
        {
            int bit = i << (es + 3);
            ulong w = bit < 64 ? Lo : Hi;
            if (es == 3)
            {
                return w;
            }

            return (w >> (bit & 63)) & ((1ul << (8 << es)) - 1);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Set(int i, int es, ulong v)
        {
            int bit = i << (es + 3);
            if (es == 3)
            {
                if (bit < 64)
                {
                    Lo = v;
                }
                else
                {
                    Hi = v;
                }

                return;
            }

            ulong mask = ((1ul << (8 << es)) - 1) << (bit & 63);
            v = (v << (bit & 63)) & mask;
            if (bit < 64)
            {
                Lo = (Lo & ~mask) | v;
            }
            else
            {
                Hi = (Hi & ~mask) | v;
            }
        }
    }
}
