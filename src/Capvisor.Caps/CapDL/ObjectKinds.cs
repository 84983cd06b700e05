namespace Capvisor.Caps.CapDL
{
    /// <summary>Keywords and properties of <see cref="ObjectKind"/>.</summary>
    public static class ObjectKinds
    {
        private static readonly (string Keyword, ObjectKind Kind)[] Table =
        [
            ("ep", ObjectKind.Endpoint), ("notification", ObjectKind.Notification), ("tcb", ObjectKind.Tcb),
            ("cnode", ObjectKind.CNode), ("ut", ObjectKind.Untyped), ("irq", ObjectKind.Irq),
            ("ioapic_irq", ObjectKind.IoapicIrq), ("msi_irq", ObjectKind.MsiIrq), ("arm_irq", ObjectKind.ArmIrq),
            ("asid_pool", ObjectKind.AsidPool), ("pt", ObjectKind.PT), ("pd", ObjectKind.PD), ("pml4", ObjectKind.Pml4),
            ("pdpt", ObjectKind.Pdpt), ("pud", ObjectKind.Pud), ("pgd", ObjectKind.Pgd), ("frame", ObjectKind.Frame),
            ("io_ports", ObjectKind.IoPorts), ("io_device", ObjectKind.IoDevice), ("arm_io_device", ObjectKind.ArmIoDevice),
            ("io_pt", ObjectKind.IoPT), ("vcpu", ObjectKind.Vcpu), ("sc", ObjectKind.SchedContext), ("rtreply", ObjectKind.RtReply),
            ("streamid", ObjectKind.StreamId), ("contextbank", ObjectKind.ContextBank), ("smc", ObjectKind.Smc),
            ("arm_sgi_signal", ObjectKind.ArmSgiSignal),
        ];

        /// <summary>The CapDL keyword for <paramref name="kind"/>.</summary>
        public static string Keyword(ObjectKind kind) => Table.First(t => t.Kind == kind).Keyword;

        /// <summary>The keyword with its indefinite article, for messages ("an ep", "a tcb").</summary>
        public static string WithArticle(ObjectKind kind)
        {
            string k = Keyword(kind);
            return ("aeiou".Contains(k[0]) ? "an " : "a ") + k;
        }

        /// <summary>Looks up a CapDL keyword.</summary>
        public static bool TryParse(string keyword, out ObjectKind kind)
        {
            foreach (var (k, v) in Table)
            {
                if (k == keyword)
                {
                    kind = v;
                    return true;
                }
            }

            kind = default;
            return false;
        }

        /// <summary>All keywords, for error messages.</summary>
        public static IEnumerable<string> Keywords => Table.Select(t => t.Keyword);

        /// <summary>Whether objects of <paramref name="kind"/> hold capabilities in slots.</summary>
        public static bool HasSlots(ObjectKind kind) => kind is ObjectKind.CNode or ObjectKind.Tcb or ObjectKind.AsidPool
            or ObjectKind.Irq or ObjectKind.IoapicIrq or ObjectKind.MsiIrq or ObjectKind.ArmIrq or ObjectKind.IoPT
            or ObjectKind.IoDevice or ObjectKind.ArmIoDevice || IsPageTable(kind);

        /// <summary>Whether <paramref name="kind"/> is a translation table (pt, pd, pud, pgd, pml4, pdpt).</summary>
        public static bool IsPageTable(ObjectKind kind) => kind is ObjectKind.PT or ObjectKind.PD or ObjectKind.Pud
            or ObjectKind.Pgd or ObjectKind.Pml4 or ObjectKind.Pdpt;

        /// <summary>Whether <paramref name="kind"/> is an interrupt object.</summary>
        public static bool IsIrq(ObjectKind kind) => kind is ObjectKind.Irq or ObjectKind.IoapicIrq or ObjectKind.MsiIrq or ObjectKind.ArmIrq;
    }
}
