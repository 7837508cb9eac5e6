using System.Text.RegularExpressions;
using Cnnc.Engine.Tests.Support;

namespace Cnnc.Cli.Tests;

/// <summary>
/// The docs' tables are the command's output, never hand-kept: every <c>&lt;!-- generated: cnnc … --&gt;</c> block of
/// docs/models-and-weights.md equals what that command prints now (regenerate with <c>python3 tools/docs-tables.py</c>).
/// </summary>
public sealed class DocsTablesTests
{
    private static readonly Regex Block = new(@"<!-- generated: cnnc (?<args>[^>]*?) -->\n```\n(?<body>.*?)```\n",
        RegexOptions.Singleline | RegexOptions.Compiled);

    public static TheoryData<string> Blocks()
    {
        var data = new TheoryData<string>();
        foreach (Match m in Block.Matches(File.ReadAllText(DocsPath))) data.Add(m.Groups["args"].Value);
        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void GeneratedBlockEqualsTheCommandsOutput(string arguments)
    {
        var committed = Block.Matches(File.ReadAllText(DocsPath)).Single(m => m.Groups["args"].Value == arguments).Groups["body"].Value;
        var result = CliProcess.Run(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.True(committed == result.Stdout,
            $"docs/models-and-weights.md's block for 'cnnc {arguments}' is not the command's output: run python3 tools/docs-tables.py.\n" +
            $"committed:\n{committed}\nnow:\n{result.Stdout}");
    }

    [Fact]
    public void TheModelsAndZooTablesAreGenerated() =>
        Assert.Equal(new[] { "models list", "zoo list" },
            Block.Matches(File.ReadAllText(DocsPath)).Select(m => m.Groups["args"].Value).Order());

    private static string DocsPath => Path.Combine(PyTorchFixtures.RepoRoot(), "docs", "models-and-weights.md");
}
