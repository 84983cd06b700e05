using Capvisor.Caps.CapDL;

namespace Capvisor.Caps.Tests.CapDL
{
    public class CapdlErrorTests
    {
        [Theory]
        [InlineData("arch aarch64\nobjects {\n  a = ep\n  a = ep\n}", 4, 3, "'a' is already declared at spec.cdl:3:3")]
        [InlineData("arch aarch64\nobjects {\n  a = endpoint\n}", 3, 7, "unknown object type 'endpoint'")]
        [InlineData("arch aarch64\nobjects { c = cnode (4 bits) }\ncaps {\n  c { 0: missing }\n}", 4, 10, "unknown object 'missing'")]
        [InlineData("arch aarch64\nobjects { c = cnode (4 bits) ep1 = ep }\ncaps { c { 0: epl } }", 3, 15, "did you mean 'ep1'?")]
        [InlineData("arch aarch64\nobjects { c = cnode (4 bits) f[2] = frame (4k) }\ncaps { c { 0: f[2] } }", 3, 15, "index 2 is out of range for 'f', which has 2 elements")]
        [InlineData("arch aarch64\nobjects { c = cnode (4 bits) e = ep }\ncaps { c { 0: e 0: e } }", 3, 17, "slot 0 of 'c' is already filled")]
        [InlineData("arch aarch64\nobjects { c = cnode (4 bits) e = ep }\ncaps { c { 0: e (guard: 1) } }", 3, 18, "'guard' cannot be given on a capability to 'e', an ep")]
        [InlineData("arch aarch64\nobjects { t = tcb (bits: 3) }", 2, 20, "unknown object parameter 'bits'")]
        [InlineData("arch aarch64\nobjects { t = tcb (4 bits) }", 2, 20, "a size in bits does not apply to a tcb object")]
        [InlineData("arch aarch64\nobjects { f = frame (3k) }", 2, 22, "frame size 3072 bytes is not a power of two")]
        [InlineData("arch aarch64\nobjects { e = ep { x } }", 2, 11, "only untyped objects can contain objects")]
        [InlineData("arch aarch64\nobjects {\n  a = ep\n", 4, 1, "expected ")]
        [InlineData("arch sparc\n", 1, 6, "unknown architecture 'sparc'")]
        [InlineData("arch aarch64\nobjects { c = cnode }", 2, 11, "needs a size")]
        [InlineData("arch aarch64\nobjects { e = ep }\ncaps { e { 0: e } }", 3, 8, "'e' is an ep, which holds no capabilities")]
        [InlineData("arch aarch64\nobjects { c = cnode (2 bits) }\ncaps { c { 0: <nope> } }", 3, 16, "unknown capability name 'nope'")]
        [InlineData("arch aarch64\nobjects { u = ut (12 bits) { a } a = ep b = ut (12 bits) { a } }", 2, 60, "'a' is placed in untyped 'b' but already in 'u'")]
        [InlineData("arch aarch64\nobjects { /* open", 2, 11, "comment '/*' is never closed")]
        public void ErrorsCarryFileLineColumnAndAnActionableMessage(string text, int line, int column, string message)
        {
            var e = Assert.Throws<CapdlException>(() => CapdlParser.Parse(text, "spec.cdl"));
            Assert.Equal(new SourceLocation("spec.cdl", line, column), e.Location);
            Assert.Contains(message, e.Message);
            Assert.StartsWith($"spec.cdl:{line}:{column}: ", e.Message);
        }
    }
}
