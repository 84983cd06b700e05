namespace Capvisor.Caps.CapDL
{
    // The parse tree of CapDL text, before names, copies and slot numbers are resolved.
    // Internal: only the parser and the model builder see it.

    /// <summary>A range inside brackets: <c>3</c>, <c>2..5</c>, <c>..5</c>, <c>2..</c>.</summary>
    internal sealed record RangeSyntax(ulong? From, ulong? To, bool IsSingle);

    /// <summary>A name with optional brackets; <see cref="Ranges"/> is null without brackets, empty for <c>[]</c>.</summary>
    internal sealed record NameRefSyntax(string Name, IReadOnlyList<RangeSyntax>? Ranges, SourceLocation Location)
    {
        public override string ToString() => Ranges is null ? Name : $"{Name}[...]";
    }

    internal sealed record ObjParamSyntax(string Key, object Value, SourceLocation Location);

    internal sealed record ObjDeclSyntax(
        IReadOnlyList<NameRefSyntax> Path,
        ObjectKind Kind,
        IReadOnlyList<ObjParamSyntax> Params,
        IReadOnlyList<ObjDeclSyntax> ChildDecls,
        IReadOnlyList<NameRefSyntax> ChildRefs,
        SourceLocation Location);

    internal sealed record CapParamSyntax(string Key, object? Value, SourceLocation Location);

    /// <summary>A slot reference: <c>(obj, slot)</c> or a capability name.</summary>
    internal sealed record SlotRefSyntax(NameRefSyntax Name, ulong? Slot, SourceLocation Location);

    internal sealed record CapMappingSyntax(
        ulong? Slot,
        NameRefSyntax? CapName,
        bool IsCopy,
        NameRefSyntax Target,
        IReadOnlyList<CapParamSyntax> Params,
        SlotRefSyntax? Parent,
        SourceLocation Location);

    internal sealed record CapDeclSyntax(NameRefSyntax Container, IReadOnlyList<CapMappingSyntax> Mappings);

    internal sealed record CapNameDeclSyntax(string Name, NameRefSyntax Object, ulong Slot, SourceLocation Location);

    internal sealed record IrqMappingSyntax(ulong? Slot, NameRefSyntax Target, SourceLocation Location);

    internal sealed record CdtDeclSyntax(SlotRefSyntax Parent, IReadOnlyList<CdtDeclSyntax> Children);

    internal sealed class ModuleSyntax
    {
        public string Arch { get; set; } = string.Empty;

        public List<ObjDeclSyntax> Objects { get; } = [];

        public List<CapDeclSyntax> Caps { get; } = [];

        public List<CapNameDeclSyntax> CapNames { get; } = [];

        public List<IrqMappingSyntax> Irqs { get; } = [];

        public List<CdtDeclSyntax> Cdt { get; } = [];

        public DomainSchedule? Domains { get; set; }
    }
}
