using Cnnc.Engine.Analysis;

namespace Cnnc.Engine.Explain;

/// <summary>One image's explanation. Maps are managed <see cref="Map2D"/>s, so results never hold native memory.</summary>
/// <param name="Method">The explainer's name, e.g. "gradcam".</param>
/// <param name="Layer">The target layer's module path, or null for model-agnostic methods (RISE, BBMP).</param>
/// <param name="TargetClass">The class explained.</param>
/// <param name="Score">The model's score (logit) for <paramref name="TargetClass"/> on the unmodified image.</param>
/// <param name="Probability">Softmax probability of <paramref name="TargetClass"/>.</param>
/// <param name="PredictedClass">The model's prediction (arg max of the logits).</param>
/// <param name="PredictedProbability">Softmax probability of <paramref name="PredictedClass"/>.</param>
/// <param name="Map">
/// The saliency map at input resolution: the method's raw map, non-finite values set to 0, ReLU'd (except where a
/// method says otherwise), bilinearly upsampled (<c>align_corners=false</c>) and min-max normalised to [0, 1]. A map
/// without contrast (all equal, e.g. all zero) becomes all zeros; it never contains NaN.
/// </param>
/// <param name="Raw">The method's map at its own resolution (the target layer's for CAMs) before ReLU and normalisation.</param>
public sealed record Explanation(
    string Method, string? Layer, int TargetClass, float Score, float Probability, int PredictedClass,
    float PredictedProbability, Map2D Map, Map2D Raw);

/// <summary>Progress of a slow explainer: <paramref name="Done"/> of <paramref name="Total"/> units (passes or iterations).</summary>
public sealed record ExplainProgress(string Method, long Done, long Total);
