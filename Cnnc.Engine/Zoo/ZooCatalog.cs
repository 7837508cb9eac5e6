using System.Reflection;
using Cnnc.Engine.Data;
using Cnnc.Engine.Models;
using Cnnc.Engine.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Zoo;

/// <summary>
/// The embedded model zoo: the paper's 13 architectures and members of more families, at small scale, trained by the project on Fashion-MNIST
/// (<c>cnnc zoo train</c>). Weights (safetensors) and model cards ship inside Cnnc.Engine.dll.
/// </summary>
public static class ZooCatalog
{
    private const string ResourcePrefix = "Cnnc.Zoo.";

    /// <summary>
    /// The training recipes. Widths and training budgets are chosen so that the whole zoo trains in a few hours on
    /// a 2-core CPU; deep families get half the width and a subset of the training set (see README, "Model zoo").
    /// </summary>
    public static IReadOnlyList<ZooRecipe> Recipes { get; } = new ZooRecipe[]
    {
        new("alexnet", "alexnet", Width: 0.25, Epochs: 3, TrainImages: 60000, MaxLearningRate: 0.02),
        new("mobilenet_v2", "mobilenet_v2", Width: 0.25, Epochs: 2, TrainImages: 60000),
        new("resnet18", "resnet18", Width: 0.25, Epochs: 2, TrainImages: 60000),
        new("resnet34", "resnet34", Width: 0.25, Epochs: 1, TrainImages: 60000),
        new("resnet50", "resnet50", Width: 0.125, Epochs: 1, TrainImages: 30000),
        new("resnet101", "resnet101", Width: 0.125, Epochs: 1, TrainImages: 30000),
        new("resnet152", "resnet152", Width: 0.125, Epochs: 1, TrainImages: 30000),
        new("densenet121", "densenet121", Width: 0.125, Epochs: 1, TrainImages: 60000),
        new("densenet161", "densenet161", Width: 0.125, Epochs: 1, TrainImages: 30000),
        new("densenet169", "densenet169", Width: 0.125, Epochs: 1, TrainImages: 40000),
        new("densenet201", "densenet201", Width: 0.125, Epochs: 1, TrainImages: 30000),
        new("squeezenet1_1", "squeezenet1_1", Width: 0.5, Epochs: 2, TrainImages: 60000, MaxLearningRate: 0.003,
            Optimizer: ZooOptimizer.AdamW),
        new("shufflenet_v2_x0_5", "shufflenet_v2_x0_5", Width: 0.25, Epochs: 3, TrainImages: 60000),
        // Issue 13, classic CNNs. VGG at an eighth of its width (its two 4096-wide classifier layers dominate the size),
        // with AdamW: at that width torchvision's N(0, 0.01) classifier init shrinks the gradient through three linear
        // layers and SGD's loss stayed at 2.30 for 60 steps. MobileNet V3 large at a quarter, as MobileNet V2, one
        // epoch (82.5 % on the first 2,000 test images in a check run), BatchNorm momentum 0.1 instead of its 0.01
        // (with 0.01 the same run evaluated at 30 %: running statistics behind the weights).
        new("vgg11_bn", "vgg11_bn", Width: 0.125, Epochs: 2, TrainImages: 60000, MaxLearningRate: 0.003,
            Optimizer: ZooOptimizer.AdamW),
        new("mobilenet_v3_large", "mobilenet_v3_large", Width: 0.25, Epochs: 1, TrainImages: 60000, BatchNormMomentum: 0.1),
        // MNASNet 0.5 at half its width, one epoch, BatchNorm momentum 0.1 for training: torchvision's 0.0003 (1 − 0.9997,
        // from the TensorFlow original) leaves the running statistics far behind the weights after one epoch, as
        // MobileNet V3's 0.01 did.
        new("mnasnet0_5", "mnasnet0_5", Width: 0.5, Epochs: 1, TrainImages: 60000, BatchNormMomentum: 0.1),
        // Issue 13, modern CNN families, on half the training set once (trained beside six other jobs on two cores).
        // RegNetY-400MF and EfficientNet-B0 at a quarter width with SGD as the other mobile nets; ConvNeXt-T at an
        // eighth with AdamW (LayerNorm, no BatchNorm: its published recipe is AdamW too).
        new("regnet_y_400mf", "regnet_y_400mf", Width: 0.25, Epochs: 1, TrainImages: 30000),
        new("efficientnet_b0", "efficientnet_b0", Width: 0.25, Epochs: 1, TrainImages: 30000),
        new("convnext_tiny", "convnext_tiny", Width: 0.125, Epochs: 1, TrainImages: 30000, MaxLearningRate: 0.003,
            Optimizer: ZooOptimizer.AdamW),
        // Issue 13, transformers: ViT-B/16 (its 12 blocks and 12 heads, hidden 96 = 12 × 8 per head, MLP 384; 28 px in
        // 4×4 patches: 7×7 tokens and the class token) and Swin-T (depths 2-2-6-2, embedding 12), both at an eighth of
        // their width, two epochs with AdamW at a one-cycle peak of 0.001. Check runs of 6,000 images: ViT 32.5 % at
        // 0.001 and 29.6 % at 0.003, Swin 60.4 % at 0.001; ViT on 24,000 images reached 54 %: transformers learn slowly
        // from few images, so both get all 60,000 twice.
        new("vit_b_16", "vit_b_16", Width: 0.125, Epochs: 2, TrainImages: 60000, MaxLearningRate: 0.001,
            Optimizer: ZooOptimizer.AdamW),
        new("swin_t", "swin_t", Width: 0.125, Epochs: 2, TrainImages: 60000, MaxLearningRate: 0.001,
            Optimizer: ZooOptimizer.AdamW),
    };

    /// <summary>The recipe of a zoo model; an unknown name is an error listing the known ones.</summary>
    public static ZooRecipe Recipe(string name) =>
        Recipes.FirstOrDefault(r => r.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown zoo model '{name}'. Known: {string.Join(", ", Recipes.Select(r => r.Name))}.");

    /// <summary>The preprocessing of every zoo model (Fashion-MNIST normalisation, 1x28x28).</summary>
    public static Preprocessing Preprocessing => Data.Preprocessing.FashionMnist;

    /// <summary>The class hierarchy of the zoo's dataset.</summary>
    public static ClassHierarchy Hierarchy => ClassHierarchy.FashionMnist;

    /// <summary>Cards of the zoo models whose weights ship in this build, in recipe order.</summary>
    public static IReadOnlyList<ZooModelCard> Cards => CardsLazy.Value;

    private static readonly Lazy<IReadOnlyList<ZooModelCard>> CardsLazy = new(() =>
    {
        var assembly = typeof(ZooCatalog).Assembly;
        var names = assembly.GetManifestResourceNames().ToHashSet(StringComparer.Ordinal);
        var cards = new List<ZooModelCard>();
        foreach (var recipe in Recipes)
        {
            var resource = ResourcePrefix + recipe.Name + ".json";
            if (!names.Contains(resource)) continue;
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            cards.Add(ZooModelCard.FromJson(reader.ReadToEnd()));
        }
        return cards;
    });

    /// <summary>The card of a shipped zoo model; an unknown or unshipped name is an error listing the shipped ones.</summary>
    public static ZooModelCard Card(string name) =>
        Cards.FirstOrDefault(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException(Cards.Count == 0
            ? $"Zoo model '{name}' is not available: this build ships no zoo weights (train them with 'cnnc zoo train')."
            : $"Unknown zoo model '{name}'. Available: {string.Join(", ", Cards.Select(c => c.Name))}.");

    /// <summary>
    /// A file holding the zoo model's weights: extracted once from the assembly into
    /// <c>~/.cache/cnnc/zoo/&lt;sha&gt;/</c> (or <c>$CNNC_ZOO_CACHE</c>) and checked against the card's SHA-256.
    /// </summary>
    public static string WeightsPath(string name)
    {
        var card = Card(name);
        var root = Environment.GetEnvironmentVariable("CNNC_ZOO_CACHE") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "cnnc", "zoo");
        var path = Path.Combine(root, card.WeightsSha256[..16], card.WeightsFile);
        if (File.Exists(path) && WeightsFile.Sha256(path) == card.WeightsSha256) return path;
        using var stream = typeof(ZooCatalog).Assembly.GetManifestResourceStream(ResourcePrefix + card.WeightsFile)
                           ?? throw new InvalidOperationException($"Zoo weights '{card.WeightsFile}' are missing from the assembly.");
        IO.AtomicFile.Write(path, stream.CopyTo);
        var sha = WeightsFile.Sha256(path);
        if (sha != card.WeightsSha256)
            throw new InvalidDataException($"Zoo weights '{card.WeightsFile}' have SHA-256 {sha}, the card says {card.WeightsSha256}.");
        return path;
    }

    /// <summary>Builds a zoo model and loads its weights (strict), in eval mode on <paramref name="device"/> (default CPU), in the faster channels-last layout (<see cref="ChannelsLast"/>).</summary>
    public static nn.Module<Tensor, Tensor> Load(string name, Device? device = null)
    {
        var card = Card(name);
        var model = ArchitectureCatalog.Create(card.Architecture, card.Recipe.Options);
        WeightsLoader.Load(model, WeightsPath(name));
        model.eval();
        ChannelsLast.Apply(model);
        return device is null ? model : model.to(device);
    }
}
