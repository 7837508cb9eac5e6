using System.CommandLine;
using System.Text.Json;
using Cnnc.Engine.Analysis;

namespace Cnnc.Cli.Commands;

/// <summary><c>cnnc similarity</c>: the paper's Algorithm 2 similarity matrix of saliency maps, as JSON.</summary>
internal static class SimilarityCommand
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Command Create()
    {
        var command = new Command("similarity", "L x L similarity matrix of saliency maps (.npy, [H, W] in [0, 1], equal sizes), printed as JSON.");
        var rule = new Option<string>("--rule") { Description = "ssim, mse, l1, ahash or phash.", DefaultValueFactory = _ => "ssim" };
        var transform = new Option<string>("--transform")
        {
            Description = "absolute (SSIM as is, 1 - d for MSE/L1, 1 - 2*hamming/64 for hashes) or relative (VAC-CNN: 1 - 2*d/max(d)).",
            DefaultValueFactory = _ => "absolute",
        };
        var labels = new Option<string?>("--labels") { Description = "Comma-separated labels, one per map (default: file names)." };
        var maps = new Argument<FileInfo[]>("MAP.npy") { Description = "Saliency maps.", Arity = ArgumentArity.OneOrMore };
        command.Options.Add(rule);
        command.Options.Add(transform);
        command.Options.Add(labels);
        command.Arguments.Add(maps);
        command.SetCancellableAction((parse, _) =>
        {
            var files = parse.GetValue(maps)!;
            var names = parse.GetValue(labels) is { } text
                ? text.Split(',').Select(s => s.Trim()).ToArray()
                : files.Select(f => Path.GetFileNameWithoutExtension(f.Name)).ToArray();
            if (names.Length != files.Length) throw new ArgumentException($"--labels names {names.Length} maps, {files.Length} were given.");
            var loaded = files.Select(f => Map2D.Load(f.FullName)).ToArray();
            var matrix = MapSimilarity.Matrix(loaded, ParseRule(parse.GetValue(rule)!), ParseTransform(parse.GetValue(transform)!), names);
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                rule = parse.GetValue(rule)!.ToLowerInvariant(), transform = parse.GetValue(transform)!.ToLowerInvariant(),
                matrix.Formula, range = new[] { matrix.RangeMin, matrix.RangeMax }, matrix.Labels, matrix = matrix.Values,
                scores = matrix.Scores,
            }, Json));
            return 0;
        });
        return command;
    }

    internal static SimilarityRule ParseRule(string text) => text.ToLowerInvariant() switch
    {
        "ssim" => SimilarityRule.Ssim,
        "mse" => SimilarityRule.Mse,
        "l1" => SimilarityRule.L1,
        "ahash" => SimilarityRule.AHash,
        "phash" => SimilarityRule.PHash,
        _ => throw new ArgumentException($"Unknown rule '{text}': use ssim, mse, l1, ahash or phash."),
    };

    private static SimilarityTransform ParseTransform(string text) => text.ToLowerInvariant() switch
    {
        "absolute" => SimilarityTransform.Absolute,
        "relative" => SimilarityTransform.RelativeToMax,
        _ => throw new ArgumentException($"Unknown transform '{text}': use absolute or relative."),
    };
}
