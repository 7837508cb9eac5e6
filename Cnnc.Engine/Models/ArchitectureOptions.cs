namespace Cnnc.Engine.Models;

/// <summary>
/// How to build an architecture: the ImageNet original (all defaults) or a small-scale member of the same family.
/// Parameter names are the same at every scale, so torchvision state dicts load into the defaults.
/// </summary>
public sealed record ArchitectureOptions
{
    /// <summary>Number of output classes. Default 1000 (ImageNet).</summary>
    public int NumClasses { get; init; } = 1000;

    /// <summary>Channels of the input image. Default 3 (RGB); 1 for greyscale data such as Fashion-MNIST.</summary>
    public int InputChannels { get; init; } = 3;

    /// <summary>
    /// Side of the square input the model is built for. Default 224. Below <see cref="SmallInputThreshold"/> the
    /// family's stem is adapted (smaller stride, no early pooling) so feature maps stay large enough for CAMs; names
    /// and the rest of the network do not change.
    /// </summary>
    public int InputSize { get; init; } = 224;

    /// <summary>Multiplier on every channel width (1.0 = torchvision's). Default 1.0.</summary>
    public double Width { get; init; } = 1.0;

    /// <summary>Input sizes below this use the small-input stem. 64 pixels.</summary>
    public const int SmallInputThreshold = 64;

    /// <summary>True when the small-input stem is used.</summary>
    public bool IsSmallInput => InputSize < SmallInputThreshold;

    /// <summary>The ImageNet configuration torchvision uses.</summary>
    public static ArchitectureOptions ImageNet { get; } = new();

    /// <summary>Scales a torchvision channel count by <see cref="Width"/>, never below <paramref name="minimum"/>.</summary>
    public int Scale(int channels, int minimum = 4) => Math.Max(minimum, (int)Math.Round(channels * Width));

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad value.</summary>
    public ArchitectureOptions Validate()
    {
        if (NumClasses < 1) throw new ArgumentException($"NumClasses must be at least 1 (got {NumClasses}).");
        if (InputChannels < 1) throw new ArgumentException($"InputChannels must be at least 1 (got {InputChannels}).");
        if (InputSize < 8) throw new ArgumentException($"InputSize must be at least 8 pixels (got {InputSize}).");
        if (!(Width > 0 && Width <= 4)) throw new ArgumentException($"Width must be in (0, 4] (got {Width}).");
        return this;
    }
}
