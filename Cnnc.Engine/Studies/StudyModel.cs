using Cnnc.Engine.Evaluation;
using Cnnc.Engine.Models;
using Cnnc.Engine.Weights;

namespace Cnnc.Engine.Studies;

/// <summary>One model of a study: how it is named and built, and its complexity once known.</summary>
public sealed class StudyModel
{
    private ModelIdentity? _identity;

    internal StudyModel(ModelReference reference, long? parameters = null, long? macs = null)
    {
        Reference = reference;
        Parameters = parameters;
        Macs = macs;
    }

    /// <summary>Display name (zoo name, or the name given when adding).</summary>
    public string Name => Reference.Name;

    /// <summary>Architecture name.</summary>
    public string Architecture => Reference.Architecture;

    /// <summary>Whether this is an embedded zoo model.</summary>
    public bool IsZoo => Reference.IsZoo;

    /// <summary>How the model is built and where its weights are.</summary>
    public ModelReference Reference { get; }

    /// <summary>Parameter count (known for zoo models; measured for others on first evaluation or overview).</summary>
    public long? Parameters { get; internal set; }

    /// <summary>Multiply-accumulates of one image at the model's input size (see <see cref="Parameters"/>).</summary>
    public long? Macs { get; internal set; }

    /// <summary>The predictions-store key: name, architecture and the SHA-256 of the weights (hashed once).</summary>
    public ModelIdentity Identity => _identity ??= new ModelIdentity(Name, Architecture, WeightsFile.Sha256(Reference.WeightsPath));

    /// <summary>The key of everything computed from this model's outputs: weights and preprocessing.</summary>
    internal string CacheKey => Identity.Key + "|" + Reference.Preprocessing.Key;

    public override string ToString() => $"{Name} ({Architecture}{(IsZoo ? ", zoo" : "")})";
}

/// <summary>Progress of a study's evaluation: which model, and the evaluator's progress within it.</summary>
/// <param name="ModelIndex">0-based index of the model being evaluated.</param>
/// <param name="ModelCount">Models in the study.</param>
/// <param name="Model">Name of the model being evaluated.</param>
/// <param name="Engine">The evaluator's progress report for that model (null before its first batch).</param>
/// <param name="Stage">What is happening: "loading", "evaluating", "stored" (already in the store), "measuring" (latency) or "done".</param>
public sealed record StudyProgress(int ModelIndex, int ModelCount, string Model, EvaluationProgress? Engine, string Stage);

/// <summary>One stored evaluation of a model under a corruption (<see cref="Study.EvaluateCorruptions"/>).</summary>
/// <param name="Model">Model name.</param>
/// <param name="Corruption">Corruption name.</param>
/// <param name="Severity">1..5.</param>
/// <param name="Seed">The corruptions' seed.</param>
/// <param name="Entry">The store entry (owned by the study).</param>
public sealed record CorruptionEntry(string Model, string Corruption, int Severity, ulong Seed, StoreEntry Entry);

/// <summary>Progress of <see cref="Study.Compare"/> or <see cref="Study.Inspect"/>.</summary>
/// <param name="Step">What is happening, e.g. "explaining resnet18".</param>
/// <param name="Done">Steps done (models for compare; explainer passes for inspect).</param>
/// <param name="Total">Steps in all.</param>
public sealed record ExplainJobProgress(string Step, long Done, long Total);

/// <summary>Which class an explanation explains.</summary>
public enum ExplainTarget
{
    /// <summary>The class the model predicts (Grad-CAM's convention and the engine's default).</summary>
    Predicted,

    /// <summary>The image's ground-truth class.</summary>
    Label,
}
