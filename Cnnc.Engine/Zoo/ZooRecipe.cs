using System.Text.Json.Serialization;
using Cnnc.Engine.Models;

namespace Cnnc.Engine.Zoo;

/// <summary>
/// How one zoo model is built and trained on Fashion-MNIST: SGD with Nesterov momentum (or AdamW) under a one-cycle
/// learning rate, random 2-pixel shifts and horizontal flips, cross-entropy. Recorded verbatim in the model card.
/// </summary>
/// <param name="Name">Zoo name, e.g. "resnet18".</param>
/// <param name="Architecture">Architecture name in <see cref="ArchitectureCatalog"/>.</param>
/// <param name="Width">Channel width multiplier of the small-scale build.</param>
/// <param name="Epochs">Passes over the training subset.</param>
/// <param name="TrainImages">Images of the training set used (the first N of a seeded permutation); 60000 = all.</param>
/// <param name="BatchSize">Mini-batch size. Default 128.</param>
/// <param name="MaxLearningRate">Peak of the one-cycle schedule. Default 0.1.</param>
/// <param name="WeightDecay">L2 weight decay. Default 5e-4.</param>
/// <param name="Seed">Seed of weights, data order and augmentation. Default 2021.</param>
/// <param name="Optimizer">
/// Default <see cref="ZooOptimizer.Sgd"/>. SqueezeNet, which has no batch normalisation and a ReLU after its
/// classifier convolution, barely learns in a few SGD epochs (classes whose ReLU'd score dies stay at zero accuracy);
/// AdamW trains it.
/// </param>
/// <param name="BatchNormMomentum">
/// Running-statistics momentum of every BatchNorm layer while training; null (default): the architecture's own.
/// MobileNet V3's 0.01 (torchvision's, for 600-epoch ImageNet runs) leaves the running statistics far behind the
/// weights after one short epoch: a model whose training loss reached 0.45 evaluated at 30 %.
/// Training-only: momentum is not part of the weights.
/// </param>
public sealed record ZooRecipe(
    string Name, string Architecture, double Width, int Epochs, int TrainImages,
    int BatchSize = 128, double MaxLearningRate = 0.1, double WeightDecay = 5e-4, int Seed = 2021,
    ZooOptimizer Optimizer = ZooOptimizer.Sgd, double? BatchNormMomentum = null)
{
    /// <summary>Side of the Fashion-MNIST images.</summary>
    public const int ImageSize = 28;

    /// <summary>The architecture options of this zoo model: 10 classes, 1 channel, 28x28, <see cref="Width"/>.</summary>
    public ArchitectureOptions Options => new()
    {
        NumClasses = 10, InputChannels = 1, InputSize = ImageSize, Width = Width,
    };

    /// <summary>Throws when a value is out of range.</summary>
    public ZooRecipe Validate()
    {
        ArchitectureCatalog.Get(Architecture);
        Options.Validate();
        if (Epochs < 1) throw new ArgumentException($"Epochs must be at least 1 (got {Epochs}).");
        if (TrainImages is < 1 or > 60000) throw new ArgumentException($"TrainImages must be in 1..60000 (got {TrainImages}).");
        if (BatchSize < 1) throw new ArgumentException($"BatchSize must be at least 1 (got {BatchSize}).");
        if (!(MaxLearningRate > 0)) throw new ArgumentException($"MaxLearningRate must be positive (got {MaxLearningRate}).");
        if (BatchNormMomentum is { } momentum && !(momentum is > 0 and <= 1))
            throw new ArgumentException($"BatchNormMomentum must be in (0, 1] (got {momentum}).");
        return this;
    }
}

/// <summary>The optimiser of a <see cref="ZooRecipe"/>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ZooOptimizer>))]
public enum ZooOptimizer
{
    /// <summary>SGD, momentum 0.9, Nesterov, L2 weight decay.</summary>
    Sgd,

    /// <summary>AdamW (betas 0.9/0.999), decoupled weight decay.</summary>
    AdamW,
}
