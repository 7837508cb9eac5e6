using Cnnc.Engine.Analysis;

namespace Cnnc.Engine.Studies;

/// <summary>One model of a <see cref="StudySummary"/>.</summary>
/// <param name="Name">Model name.</param>
/// <param name="Architecture">Architecture name.</param>
/// <param name="IsZoo">Whether it is an embedded zoo model.</param>
/// <param name="Parameters">Parameter count, if known.</param>
/// <param name="Macs">Multiply-accumulates of one image, if known.</param>
/// <param name="Accuracy">Top-1 accuracy on the study's dataset, if evaluated.</param>
/// <param name="LatencyMs">Stored batch-1 latency, if any.</param>
/// <param name="LatencyCaveat">Why that latency is not a clean number (taken under load, …), or null.</param>
public sealed record StudySummaryRow(string Name, string Architecture, bool IsZoo, long? Parameters, long? Macs, double? Accuracy,
    double? LatencyMs, string? LatencyCaveat = null);

/// <summary>
/// What a study holds, as a card: its dataset, hierarchy and store, and each model with what is known about it
/// (<c>#!cnnc models</c>, <c>#!cnnc setup</c>, the first section of a report). Opens nothing that is not open yet.
/// </summary>
/// <param name="Title">Heading of the card.</param>
/// <param name="Dataset">The dataset and its size ("… (default, not opened yet)" before first use).</param>
/// <param name="Hierarchy">The hierarchy, or "" before the dataset is opened.</param>
/// <param name="Store">The store's folder.</param>
/// <param name="Rows">The models.</param>
/// <param name="Note">A remark to show, or null.</param>
public sealed record StudySummary(string Title, string Dataset, string Hierarchy, string Store, IReadOnlyList<StudySummaryRow> Rows, string? Note = null)
{
    internal static StudySummary Of(Study study, string title, string? note)
    {
        var rows = study.Models.Select(m =>
        {
            var entry = study.HasDataset ? study.EntryOf(m) : null;
            double? accuracy = entry is null ? null : AccuracyMetrics.Compute(entry).Overall;
            return new StudySummaryRow(m.Name, m.Architecture, m.IsZoo, m.Parameters, m.Macs, accuracy,
                entry?.Meta.Timing?.Batch1Milliseconds, entry?.Meta.Timing?.Caveat);
        }).ToList();
        var dataset = study.HasDataset ? $"{study.Dataset.Name} ({study.Dataset.Count:N0} images)" : $"{DataSpec.Default} (default, not opened yet)";
        var hierarchy = study.HasDataset ? study.Hierarchy.ToString() : "";
        return new StudySummary(title, dataset, hierarchy, study.Store.Root, rows, note);
    }

    public override string ToString()
    {
        var text = new System.Text.StringBuilder($"{Title} · data {Dataset} · store {Store}\n");
        if (Note is not null) text.Append(Note).Append('\n');
        foreach (var r in Rows)
            text.Append($"  {r.Name,-22} {r.Architecture,-18} {(r.IsZoo ? "zoo " : "file")} " +
                        $"{(r.Accuracy is { } a ? Format.Percent(a) : "not evaluated")}\n");
        if (Rows.Count == 0) text.Append("  no models yet\n");
        return text.ToString().TrimEnd();
    }
}
