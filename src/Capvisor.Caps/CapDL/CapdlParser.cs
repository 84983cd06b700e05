using Capvisor.Caps.Kernel;

namespace Capvisor.Caps.CapDL
{
    /// <summary>
    /// Reads the capDL-tool text format (language revision 1.1 as implemented by
    /// seL4/capdl's <c>ParserUtils.hs</c>) into a resolved <see cref="CapdlSpec"/>.
    /// </summary>
    public static class CapdlParser
    {
        private static readonly string[] Arches = ["ia32", "arm11", "x86_64", "aarch64", "riscv"];

        private static readonly Dictionary<string, ulong> SymbolicSlots = new()
        {
            ["cspace"] = 0, ["vspace"] = 1, ["reply_slot"] = 2, ["caller_slot"] = 3, ["ipc_buffer_slot"] = 4,
            ["fault_ep_slot"] = 5, ["sc_slot"] = 6, ["temp_fault_ep_slot"] = 7, ["bound_notification"] = 8, ["bound_vcpu"] = 9,
        };

        private static readonly HashSet<string> NumberParams =
        [
            "addr", "ip", "sp", "prio", "max_prio", "affinity", "dom", "fault_ep", "level", "domainID", "iospace", "period",
            "budget", "data", "bank", "ioapic_num", "ioapic_pin", "ioapic_level", "ioapic_polarity", "msi_handle",
            "msi_pci_bus", "msi_pci_dev", "msi_pci_fun", "target", "irq", "asid_high",
        ];

        /// <summary>Parses and resolves CapDL text; <paramref name="file"/> names it in error messages.</summary>
        /// <exception cref="CapdlException">The text is not valid CapDL; the message has file:line:column.</exception>
        public static CapdlSpec Parse(string text, string file = "<input>")
        {
            ModuleSyntax module = new Parser(CapdlLexer.Tokenize(text, file)).ParseModule();
            return CapdlModelBuilder.Build(module);
        }

        /// <summary>Reads and parses a file.</summary>
        /// <exception cref="CapdlException">The file cannot be read or is not valid CapDL.</exception>
        public static CapdlSpec ParseFile(string path)
        {
            string text;
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CapdlException($"{path}: cannot read the file: {e.Message}");
            }

            return Parse(text, path);
        }

        private sealed class Parser(List<Token> tokens)
        {
            private int _pos;

            private Token Peek(int ahead = 0) => tokens[Math.Min(_pos + ahead, tokens.Count - 1)];

            private Token Next() => tokens[Math.Min(_pos++, tokens.Count - 1)];

            private bool Accept(string symbol)
            {
                if (Peek().Is(symbol))
                {
                    _pos++;
                    return true;
                }

                return false;
            }

            private Token Expect(string symbol, string context)
            {
                Token t = Peek();
                if (!t.Is(symbol))
                {
                    throw new CapdlException(t.Location, $"expected '{symbol}' {context}, found {t.Describe()}");
                }

                return Next();
            }

            private Token ExpectIdentifier(string what)
            {
                Token t = Peek();
                if (t.Kind != TokenKind.Identifier)
                {
                    throw new CapdlException(t.Location, $"expected {what}, found {t.Describe()}");
                }

                return Next();
            }

            private ulong ExpectNumber(string what)
            {
                Token t = Peek();
                if (t.Kind != TokenKind.Number)
                {
                    throw new CapdlException(t.Location, $"expected {what} (a number), found {t.Describe()}");
                }

                Next();
                if (!CapdlNumber.TryParse(t.Text, out ulong v))
                {
                    throw new CapdlException(t.Location, $"'{t.Text}' is not a valid number (or does not fit in 64 bits)");
                }

                return v;
            }

            public ModuleSyntax ParseModule()
            {
                var m = new ModuleSyntax();
                Token arch = Peek();
                if (!arch.Is("arch"))
                {
                    throw new CapdlException(arch.Location, $"a CapDL spec starts with 'arch aarch64' (or another architecture), found {arch.Describe()}");
                }

                Next();
                Token name = ExpectIdentifier("an architecture name");
                if (!Arches.Contains(name.Text))
                {
                    throw new CapdlException(name.Location, $"unknown architecture '{name.Text}'; expected one of {string.Join(", ", Arches)}");
                }

                m.Arch = name.Text;
                bool any = false;
                while (Peek().Kind != TokenKind.End)
                {
                    Token t = Peek();
                    if (t.Is("objects"))
                    {
                        Next();
                        Expect("{", "after 'objects'");
                        while (!Accept("}"))
                        {
                            m.Objects.Add(ParseObjDecl(ParseQName()));
                        }
                    }
                    else if (t.Is("caps"))
                    {
                        Next();
                        Expect("{", "after 'caps'");
                        ParseCaps(m);
                    }
                    else if (t.Is("irq") && Peek(1).Is("maps"))
                    {
                        _pos += 2;
                        Expect("{", "after 'irq maps'");
                        ParseIrqs(m);
                    }
                    else if (t.Is("cdt"))
                    {
                        Next();
                        Expect("{", "after 'cdt'");
                        while (!Accept("}"))
                        {
                            m.Cdt.Add(ParseCdtDecl(ParseSlotRef()));
                        }
                    }
                    else if (t.Is("domains"))
                    {
                        Next();
                        m.Domains = ParseDomains();
                    }
                    else
                    {
                        throw new CapdlException(t.Location, $"expected a section ('objects', 'caps', 'irq maps', 'cdt' or 'domains'), found {t.Describe()}");
                    }

                    any = true;
                }

                if (!any)
                {
                    throw new CapdlException(Peek().Location, "the spec has no sections; expected 'objects { ... }'");
                }

                return m;
            }

            private NameRefSyntax ParseNameRef()
            {
                Token name = ExpectIdentifier("a name");
                if (!Peek().Is("["))
                {
                    return new NameRefSyntax(name.Text, null, name.Location);
                }

                Next();
                var ranges = new List<RangeSyntax>();
                if (Accept("]"))
                {
                    return new NameRefSyntax(name.Text, ranges, name.Location);
                }

                do
                {
                    if (Accept(".."))
                    {
                        ranges.Add(new RangeSyntax(null, ExpectNumber("the end of a range"), false));
                        continue;
                    }

                    ulong from = ExpectNumber("an index or range");
                    if (Accept(".."))
                    {
                        ranges.Add(Peek().Kind == TokenKind.Number ? new RangeSyntax(from, ExpectNumber("the end of a range"), false) : new RangeSyntax(from, null, false));
                    }
                    else
                    {
                        ranges.Add(new RangeSyntax(from, from, true));
                    }
                }
                while (Accept(","));
                Expect("]", "to close the index");
                return new NameRefSyntax(name.Text, ranges, name.Location);
            }

            private List<NameRefSyntax> ParseQName()
            {
                var path = new List<NameRefSyntax> { ParseNameRef() };
                while (Accept("/"))
                {
                    path.Add(ParseNameRef());
                }

                return path;
            }

            private ObjDeclSyntax ParseObjDecl(List<NameRefSyntax> path)
            {
                Expect("=", $"after the object name '{path[^1].Name}'");
                Token kindTok = ExpectIdentifier("an object type");
                if (!ObjectKinds.TryParse(kindTok.Text, out ObjectKind kind))
                {
                    string? near = ObjectKinds.Keywords.FirstOrDefault(k => k.Length > 1 && (k.StartsWith(kindTok.Text, StringComparison.Ordinal) || kindTok.Text.StartsWith(k, StringComparison.Ordinal)));
                    throw new CapdlException(kindTok.Location, $"unknown object type '{kindTok.Text}'" + (near is null ? $"; expected one of {string.Join(", ", ObjectKinds.Keywords)}" : $"; did you mean '{near}'?"));
                }

                var ps = new List<ObjParamSyntax>();
                if (Accept("("))
                {
                    if (!Accept(")"))
                    {
                        do
                        {
                            ps.Add(ParseObjParam());
                        }
                        while (Accept(","));
                        Expect(")", "to close the object parameters");
                    }
                }

                var decls = new List<ObjDeclSyntax>();
                var refs = new List<NameRefSyntax>();
                if (Accept("{"))
                {
                    while (!Accept("}"))
                    {
                        List<NameRefSyntax> q = ParseQName();
                        if (Peek().Is("="))
                        {
                            decls.Add(ParseObjDecl(q));
                        }
                        else if (q.Count == 1)
                        {
                            refs.Add(q[0]);
                        }
                        else
                        {
                            throw new CapdlException(q[0].Location, "a path (a/b) inside an untyped must declare an object with '='");
                        }

                        Accept(",");
                    }
                }

                return new ObjDeclSyntax(path, kind, ps, decls, refs, path[^1].Location);
            }

            private ObjParamSyntax ParseObjParam()
            {
                Token t = Peek();
                if (t.Kind == TokenKind.Number)
                {
                    ulong n = ExpectNumber("a size");
                    if (Accept("bits"))
                    {
                        return new ObjParamSyntax("bits", n, t.Location);
                    }

                    if (Accept("k"))
                    {
                        return new ObjParamSyntax("vmsize", n << 10, t.Location);
                    }

                    if (Accept("M"))
                    {
                        return new ObjParamSyntax("vmsize", n << 20, t.Location);
                    }

                    if (Accept(":"))
                    {
                        ulong dev = ExpectNumber("a PCI device number");
                        Expect(".", "between PCI device and function");
                        ulong fun = ExpectNumber("a PCI function number");
                        return new ObjParamSyntax("pci", $"{n}:{dev}.{fun}", t.Location);
                    }

                    throw new CapdlException(Peek().Location, $"expected 'bits', 'k' or 'M' after the number {t.Text}, found {Peek().Describe()}");
                }

                Token key = ExpectIdentifier("an object parameter");
                Expect(":", $"after the parameter name '{key.Text}'");
                if (NumberParams.Contains(key.Text) || key.Text == "paddr")
                {
                    return new ObjParamSyntax(key.Text, ExpectNumber($"the value of '{key.Text}'"), key.Location);
                }

                switch (key.Text)
                {
                    case "resume" or "fpu_disabled":
                        Token b = ExpectIdentifier("True or False");
                        if (b.Text is not ("True" or "False"))
                        {
                            throw new CapdlException(b.Location, $"'{key.Text}' takes True or False, not '{b.Text}'");
                        }

                        return new ObjParamSyntax(key.Text, b.Text, key.Location);
                    case "trigger":
                        Token tr = ExpectIdentifier("level or edge");
                        if (tr.Text is not ("level" or "edge"))
                        {
                            throw new CapdlException(tr.Location, $"'trigger' takes level or edge, not '{tr.Text}'");
                        }

                        return new ObjParamSyntax(key.Text, tr.Text, key.Location);
                    case "init":
                        Expect("[", "to start the 'init' list");
                        var list = new List<ulong>();
                        if (!Accept("]"))
                        {
                            do
                            {
                                list.Add(ExpectNumber("an init argument"));
                            }
                            while (Accept(","));
                            Expect("]", "to close the 'init' list");
                        }

                        return new ObjParamSyntax(key.Text, list, key.Location);
                    case "ports":
                        Expect("[", "to start the port range");
                        ulong lo = ExpectNumber("the first port");
                        Expect("..", "in the port range");
                        ulong hi = ExpectNumber("the last port");
                        Expect("]", "to close the port range");
                        return new ObjParamSyntax(key.Text, (lo, hi), key.Location);
                    case "fill":
                        return new ObjParamSyntax(key.Text, ParseFill(), key.Location);
                    default:
                        throw new CapdlException(key.Location, $"unknown object parameter '{key.Text}'");
                }
            }

            private List<FillEntry> ParseFill()
            {
                Expect("[", "to start the 'fill' list");
                var fills = new List<FillEntry>();
                if (Accept("]"))
                {
                    return fills;
                }

                do
                {
                    Token open = Expect("{", "to start a fill entry");
                    var words = new List<string>();
                    while (!Peek().Is("}"))
                    {
                        Token w = Next();
                        if (w.Kind == TokenKind.End)
                        {
                            throw new CapdlException(open.Location, "fill entry is not closed with '}'");
                        }

                        words.Add(w.Text);
                    }

                    Next();
                    if (words.Count < 2 || !CapdlNumber.TryParse(words[0], out ulong off) || !CapdlNumber.TryParse(words[1], out ulong len))
                    {
                        throw new CapdlException(open.Location, "a fill entry starts with the destination offset and the length: {OFFSET LENGTH TYPE ARGS...}");
                    }

                    if (words.Count > 2 && words[2] == FillEntry.FileData && (words.Count != 5 || !words[3].StartsWith('"') || !CapdlNumber.TryParse(words[4], out _)))
                    {
                        throw new CapdlException(open.Location, $"a file fill reads {{OFFSET LENGTH {FillEntry.FileData} \"FILE\" FILE_OFFSET}}");
                    }

                    fills.Add(new FillEntry(off, len, words.Skip(2).ToList()));
                }
                while (Accept(","));
                Expect("]", "to close the 'fill' list");
                return fills;
            }

            private void ParseCaps(ModuleSyntax m)
            {
                while (!Accept("}"))
                {
                    if (Peek().Kind == TokenKind.Identifier && Peek(1).Is("="))
                    {
                        Token name = Next();
                        Next();
                        Expect("(", "to start the slot reference '(object, slot)'");
                        NameRefSyntax obj = ParseNameRef();
                        Expect(",", "between object and slot");
                        ulong slot = ParseSlot();
                        Expect(")", "to close the slot reference");
                        m.CapNames.Add(new CapNameDeclSyntax(name.Text, obj, slot, name.Location));
                        continue;
                    }

                    NameRefSyntax container = ParseNameRef();
                    Expect("{", $"to start the capabilities of '{container.Name}'");
                    var mappings = new List<CapMappingSyntax>();
                    while (!Accept("}"))
                    {
                        mappings.Add(ParseCapMapping());
                        Accept(";");
                    }

                    m.Caps.Add(new CapDeclSyntax(container, mappings));
                }
            }

            private ulong ParseSlot()
            {
                Token t = Peek();
                if (t.Kind == TokenKind.Identifier && SymbolicSlots.TryGetValue(t.Text, out ulong s))
                {
                    Next();
                    return s;
                }

                return ExpectNumber("a slot number");
            }

            private ulong? ParseMaybeSlot()
            {
                Token t = Peek();
                if ((t.Kind == TokenKind.Number || (t.Kind == TokenKind.Identifier && SymbolicSlots.ContainsKey(t.Text))) && Peek(1).Is(":"))
                {
                    ulong s = ParseSlot();
                    Next();
                    return s;
                }

                return null;
            }

            private CapMappingSyntax ParseCapMapping()
            {
                SourceLocation at = Peek().Location;
                ulong? slot = ParseMaybeSlot();
                NameRefSyntax? capName = null;
                int save = _pos;
                if (Peek().Kind == TokenKind.Identifier)
                {
                    NameRefSyntax n = ParseNameRef();
                    if (Accept("="))
                    {
                        capName = n;
                    }
                    else
                    {
                        _pos = save;
                    }
                }

                bool copy = Accept("<");
                NameRefSyntax target = ParseNameRef();
                if (copy)
                {
                    Expect(">", "to close the capability name");
                }

                var ps = new List<CapParamSyntax>();
                if (Accept("("))
                {
                    do
                    {
                        ps.Add(ParseCapParam());
                    }
                    while (Accept(","));
                    Expect(")", "to close the capability parameters");
                }

                SlotRefSyntax? parent = null;
                if (Peek().Is("-") && Peek(1).Is("child_of"))
                {
                    _pos += 2;
                    parent = ParseSlotRef();
                }

                return new CapMappingSyntax(slot, capName, copy, target, ps, parent, at);
            }

            private static CapRights? ParseRights(string text)
            {
                CapRights r = CapRights.None;
                foreach (char c in text)
                {
                    r |= c switch
                    {
                        'R' => CapRights.Read,
                        'W' => CapRights.Write,
                        'G' or 'X' => CapRights.Grant,
                        'P' => CapRights.GrantReply,
                        _ => (CapRights)(-1),
                    };
                    if (r < 0)
                    {
                        return null;
                    }
                }

                return r;
            }

            private CapParamSyntax ParseCapParam()
            {
                Token t = ExpectIdentifier("a capability parameter");
                switch (t.Text)
                {
                    case "masked":
                        Expect(":", "after 'masked'");
                        Token r = ExpectIdentifier("rights (letters R, W, G, X, P)");
                        return new CapParamSyntax("masked", ParseRights(r.Text) ?? throw new CapdlException(r.Location, $"'{r.Text}' is not a set of rights; use the letters R, W, G (or X) and P"), t.Location);
                    case "guard" or "guard_size" or "badge" or "core":
                        Expect(":", $"after '{t.Text}'");
                        return new CapParamSyntax(t.Text, ExpectNumber($"the value of '{t.Text}'"), t.Location);
                    case "reply" or "master_reply" or "cached" or "uncached":
                        return new CapParamSyntax(t.Text, null, t.Location);
                    case "asid":
                        Expect(":", "after 'asid'");
                        Expect("(", "to start the ASID pair");
                        ulong hi = ExpectNumber("the ASID high part");
                        Expect(",", "in the ASID pair");
                        ulong lo = ExpectNumber("the ASID low part");
                        Expect(")", "to close the ASID pair");
                        return new CapParamSyntax("asid", (hi, lo), t.Location);
                    case "mapping":
                        Expect(":", "after 'mapping'");
                        Expect("(", "to start the mapping slot");
                        NameRefSyntax container = ParseNameRef();
                        Expect(",", "between page table and slot");
                        ulong slot = ParseSlot();
                        Expect(")", "to close the mapping slot");
                        return new CapParamSyntax("mapping", (container, slot), t.Location);
                }

                return ParseRights(t.Text) is CapRights rights
                    ? new CapParamSyntax("rights", rights, t.Location)
                    : throw new CapdlException(t.Location, $"unknown capability parameter '{t.Text}'; expected rights (R, W, G, X, P), badge, guard, guard_size, masked, reply, master_reply, asid, cached, uncached, mapping or core");
            }

            private SlotRefSyntax ParseSlotRef()
            {
                Token t = Peek();
                if (Accept("("))
                {
                    NameRefSyntax obj = ParseNameRef();
                    Expect(",", "between object and slot");
                    ulong slot = ParseSlot();
                    Expect(")", "to close the slot reference");
                    return new SlotRefSyntax(obj, slot, t.Location);
                }

                return new SlotRefSyntax(ParseNameRef(), null, t.Location);
            }

            private CdtDeclSyntax ParseCdtDecl(SlotRefSyntax parent)
            {
                Expect("{", "to start the derived capabilities");
                var children = new List<CdtDeclSyntax>();
                while (!Accept("}"))
                {
                    SlotRefSyntax child = ParseSlotRef();
                    children.Add(Peek().Is("{") ? ParseCdtDecl(child) : new CdtDeclSyntax(child, []));
                    Accept(";");
                }

                return new CdtDeclSyntax(parent, children);
            }

            private void ParseIrqs(ModuleSyntax m)
            {
                while (!Accept("}"))
                {
                    SourceLocation at = Peek().Location;
                    ulong? slot = ParseMaybeSlot();
                    m.Irqs.Add(new IrqMappingSyntax(slot, ParseNameRef(), at));
                    Accept(";");
                }
            }

            private DomainSchedule ParseDomains()
            {
                var d = new DomainSchedule();
                Expect("{", "after 'domains'");
                while (!Accept("}"))
                {
                    Token key = ExpectIdentifier("'schedule', 'domain_set_start' or 'index_shift'");
                    Expect(":", $"after '{key.Text}'");
                    switch (key.Text)
                    {
                        case "schedule":
                            Expect("[", "to start the schedule");
                            do
                            {
                                Expect("(", "to start a (domain, duration) pair");
                                ulong dom = ExpectNumber("a domain");
                                Expect(",", "in the (domain, duration) pair");
                                ulong dur = ExpectNumber("a duration");
                                Expect(")", "to close the pair");
                                d.Schedule.Add((dom, dur));
                            }
                            while (Accept(",") && !Peek().Is("]"));
                            Expect("]", "to close the schedule");
                            break;
                        case "domain_set_start":
                            d.Start = Accept("no_start") ? null : ExpectNumber("a schedule index");
                            break;
                        case "index_shift":
                            d.IndexShift = ExpectNumber("a shift");
                            break;
                        default:
                            throw new CapdlException(key.Location, $"unknown domains item '{key.Text}'");
                    }
                }

                return d;
            }
        }
    }
}
