namespace Capvisor.Arm
{
    /// <summary>A64 decoder: instruction word to <see cref="DecodedInst"/>.</summary>
    internal static class Decoder
    {
        public static void Decode(uint raw, out DecodedInst d)
        {
            d = default;
            d.Raw = raw;
            d.Valid = true;
            d.Op = Op.Undefined;
        }
    }
}
