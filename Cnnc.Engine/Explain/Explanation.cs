using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Explain;

/// <summary>A 2-D map of floats (row-major, <see cref="Height"/> × <see cref="Width"/>) held in managed memory.</summary>
/// <remarks>Explanations are returned as managed arrays, so a caller can never leak native tensor memory through them.</remarks>
public sealed class SaliencyMap
{
    private readonly float[] _values;

    /// <summary>Wraps <paramref name="values"/> (not copied) as a <paramref name="height"/> × <paramref name="width"/> map.</summary>
    public SaliencyMap(int height, int width, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (height < 1 || width < 1 || (long)height * width != values.Length)
            throw new ArgumentException($"A {height}x{width} map needs {(long)height * width} values (got {values.Length}).");
        Height = height;
        Width = width;
        _values = values;
    }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>The values, row-major.</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>The value at row <paramref name="y"/>, column <paramref name="x"/>.</summary>
    public float this[int y, int x] => _values[y * Width + x];

    /// <summary>A copy of the values, row-major.</summary>
    public float[] ToArray() => (float[])_values.Clone();

    /// <summary>A new float32 CPU tensor of shape Height × Width (the caller owns it).</summary>
    public Tensor ToTensor() => tensor(_values, new long[] { Height, Width });

    /// <summary>Copies a 2-D tensor (any device, any floating type) into a map.</summary>
    public static SaliencyMap FromTensor(Tensor map)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (map.dim() != 2) throw new ArgumentException($"A saliency map is 2-D (got [{string.Join("x", map.shape)}]).");
        using var cpu = map.detach().to(ScalarType.Float32).cpu().contiguous();
        return new SaliencyMap((int)map.shape[0], (int)map.shape[1], cpu.data<float>().ToArray());
    }
}

/// <summary>One image's explanation.</summary>
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
    float PredictedProbability, SaliencyMap Map, SaliencyMap Raw);

/// <summary>Progress of a slow explainer: <paramref name="Done"/> of <paramref name="Total"/> units (passes or iterations).</summary>
public sealed record ExplainProgress(string Method, long Done, long Total);
