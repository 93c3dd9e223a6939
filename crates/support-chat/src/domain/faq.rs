//! The FAQ's shape: the six support categories with their topics, and the entries the
//! service ships with (written for a marketplace, in Arabic and English).

use cid_common::contracts::support::Category;
use cid_common::locale::Localized;

/// A topic within a category.
pub struct Topic {
    pub key: &'static str,
    pub name: Localized,
}

const fn topic(key: &'static str, en: &'static str, ar: &'static str) -> Topic {
    Topic {
        key,
        name: Localized::new(en, ar),
    }
}

pub fn topics(category: Category) -> &'static [Topic] {
    const ACCOUNT: &[Topic] = &[
        topic("sign_in", "Signing in", "تسجيل الدخول"),
        topic("profile", "Profile and settings", "الملف الشخصي والإعدادات"),
        topic("security", "Account security", "أمان الحساب"),
    ];
    const ORDERS: &[Topic] = &[
        topic("tracking", "Tracking", "تتبع الطلب"),
        topic("changes", "Changing or cancelling", "تعديل الطلب أو إلغاؤه"),
        topic("delivery", "Delivery", "التوصيل"),
    ];
    const PAYMENTS: &[Topic] = &[
        topic("methods", "Payment methods", "طرق الدفع"),
        topic("failed", "Failed payments", "تعثر الدفع"),
        topic(
            "invoices",
            "Invoices and VAT",
            "الفواتير وضريبة القيمة المضافة",
        ),
    ];
    const RETURNS: &[Topic] = &[
        topic("policy", "Return policy", "سياسة الإرجاع"),
        topic("refunds", "Refunds", "الاسترداد"),
        topic("exchanges", "Exchanges", "الاستبدال"),
    ];
    const PRODUCTS: &[Topic] = &[
        topic("availability", "Availability", "التوفر"),
        topic("warranty", "Warranty", "الضمان"),
        topic("sellers", "Sellers", "البائعون"),
    ];
    const TECHNICAL: &[Topic] = &[
        topic("app", "The app", "التطبيق"),
        topic("notifications", "Notifications", "الإشعارات"),
        topic("loyalty", "Points and rewards", "النقاط والمكافآت"),
    ];
    match category {
        Category::Account => ACCOUNT,
        Category::Orders => ORDERS,
        Category::Payments => PAYMENTS,
        Category::Returns => RETURNS,
        Category::Products => PRODUCTS,
        Category::Technical => TECHNICAL,
    }
}

/// An entry as shipped.
pub struct Seed {
    pub key: &'static str,
    pub category: Category,
    pub topic: &'static str,
    pub question: Localized,
    pub answer: Localized,
}

const fn seed(
    key: &'static str,
    category: Category,
    topic: &'static str,
    q: (&'static str, &'static str),
    a: (&'static str, &'static str),
) -> Seed {
    Seed {
        key,
        category,
        topic,
        question: Localized::new(q.0, q.1),
        answer: Localized::new(a.0, a.1),
    }
}

use Category::*;

pub const SEEDS: &[Seed] = &[
    seed(
        "account-1",
        Account,
        "sign_in",
        (
            "I forgot my password. How do I reset it?",
            "نسيت كلمة المرور، كيف أعيد تعيينها؟",
        ),
        (
            "Tap “Forgot password” on the sign-in screen and follow the link we send to your email or phone.",
            "اضغط على «نسيت كلمة المرور» في شاشة الدخول واتبع الرابط الذي نرسله إلى بريدك أو جوالك.",
        ),
    ),
    seed(
        "account-2",
        Account,
        "profile",
        ("How do I change my phone number?", "كيف أغيّر رقم جوالي؟"),
        (
            "Open Account › Profile, edit the number and confirm it with the code we text you.",
            "افتح الحساب › الملف الشخصي، عدّل الرقم وأكّده بالرمز الذي نرسله إليك.",
        ),
    ),
    seed(
        "account-3",
        Account,
        "security",
        (
            "How do I turn on two-factor authentication?",
            "كيف أفعّل المصادقة الثنائية؟",
        ),
        (
            "Go to Account › Security and scan the code with an authenticator app; keep your backup codes safe.",
            "اذهب إلى الحساب › الأمان وامسح الرمز بتطبيق مصادقة، واحفظ رموز الاسترداد في مكان آمن.",
        ),
    ),
    seed(
        "account-4",
        Account,
        "profile",
        (
            "Can I change the language of the app?",
            "هل يمكنني تغيير لغة التطبيق؟",
        ),
        (
            "Yes: choose Arabic or English in Account › Settings; messages follow your choice.",
            "نعم، اختر العربية أو الإنجليزية من الحساب › الإعدادات، وتصلك الرسائل باللغة التي تختارها.",
        ),
    ),
    seed(
        "account-5",
        Account,
        "security",
        (
            "Someone signed in to my account. What should I do?",
            "شخص ما دخل إلى حسابي، ماذا أفعل؟",
        ),
        (
            "Change your password at once, sign out of all devices in Account › Security and contact us.",
            "غيّر كلمة المرور فورًا، وسجّل الخروج من جميع الأجهزة من الحساب › الأمان، ثم تواصل معنا.",
        ),
    ),
    seed(
        "orders-1",
        Orders,
        "tracking",
        ("How do I track my order?", "كيف أتتبع طلبي؟"),
        (
            "Open Orders and choose the order: you see each step and the courier's tracking number.",
            "افتح الطلبات واختر الطلب لترى كل مرحلة ورقم التتبع لدى شركة الشحن.",
        ),
    ),
    seed(
        "orders-2",
        Orders,
        "changes",
        ("Can I cancel an order?", "هل يمكنني إلغاء الطلب؟"),
        (
            "Yes, until it ships: open the order and tap Cancel. Shipped orders can be returned instead.",
            "نعم، قبل شحنه: افتح الطلب واضغط إلغاء. أما الطلبات المشحونة فيمكن إرجاعها.",
        ),
    ),
    seed(
        "orders-3",
        Orders,
        "delivery",
        ("How long does delivery take?", "كم تستغرق مدة التوصيل؟"),
        (
            "Two to five working days in main cities; the order page shows the expected date.",
            "من يومين إلى خمسة أيام عمل في المدن الرئيسية، وتظهر صفحة الطلب التاريخ المتوقع.",
        ),
    ),
    seed(
        "orders-4",
        Orders,
        "changes",
        (
            "Can I change the delivery address?",
            "هل يمكنني تغيير عنوان التوصيل؟",
        ),
        (
            "Before the order ships, edit the address on the order page; afterwards contact the courier.",
            "قبل شحن الطلب عدّل العنوان من صفحة الطلب، وبعد الشحن تواصل مع شركة الشحن.",
        ),
    ),
    seed(
        "orders-5",
        Orders,
        "delivery",
        (
            "My order says delivered but I did not receive it.",
            "الطلب يظهر أنه سُلّم لكنني لم أستلمه.",
        ),
        (
            "Check with neighbours and the building reception, then open a ticket within 48 hours.",
            "تحقق لدى الجيران أو الاستقبال، ثم افتح تذكرة خلال 48 ساعة.",
        ),
    ),
    seed(
        "payments-1",
        Payments,
        "methods",
        (
            "Which payment methods do you accept?",
            "ما طرق الدفع المقبولة؟",
        ),
        (
            "Mada, Visa, Mastercard, Apple Pay, STC Pay and cash on delivery for eligible orders.",
            "مدى وفيزا وماستركارد وآبل باي وإس تي سي باي والدفع عند الاستلام للطلبات المؤهلة.",
        ),
    ),
    seed(
        "payments-2",
        Payments,
        "failed",
        (
            "My payment failed but money was taken.",
            "فشل الدفع لكن المبلغ خُصم.",
        ),
        (
            "The bank releases a held amount within 3 to 7 working days; no order is charged twice.",
            "يعيد البنك المبلغ المحجوز خلال 3 إلى 7 أيام عمل، ولا يُخصم ثمن الطلب مرتين.",
        ),
    ),
    seed(
        "payments-3",
        Payments,
        "invoices",
        ("Where is my tax invoice?", "أين فاتورتي الضريبية؟"),
        (
            "Every order page has a VAT invoice to download once the order ships.",
            "في صفحة كل طلب فاتورة ضريبية يمكنك تنزيلها بعد شحن الطلب.",
        ),
    ),
    seed(
        "payments-4",
        Payments,
        "methods",
        ("Can I pay in instalments?", "هل يمكنني الدفع بالتقسيط؟"),
        (
            "Yes, with Tabby or Tamara at checkout for orders above the shown minimum.",
            "نعم، عبر تابي أو تمارا عند الدفع للطلبات التي تتجاوز الحد الأدنى الظاهر.",
        ),
    ),
    seed(
        "payments-5",
        Payments,
        "failed",
        ("Why was my card declined?", "لماذا رُفضت بطاقتي؟"),
        (
            "Usually the bank blocked online payments or the limit was reached; ask your bank or try another card.",
            "غالبًا أوقف البنك الدفع الإلكتروني أو بلغت الحد، تواصل مع البنك أو جرّب بطاقة أخرى.",
        ),
    ),
    seed(
        "returns-1",
        Returns,
        "policy",
        ("What is the return policy?", "ما هي سياسة الإرجاع؟"),
        (
            "Most items can be returned within 14 days of delivery, unused and in their packaging.",
            "يمكن إرجاع معظم المنتجات خلال 14 يومًا من الاستلام بشرط عدم استخدامها وبتغليفها الأصلي.",
        ),
    ),
    seed(
        "returns-2",
        Returns,
        "refunds",
        ("When will I get my refund?", "متى أسترد أموالي؟"),
        (
            "Refunds are issued within 5 working days after the item reaches our warehouse.",
            "نعيد المبلغ خلال 5 أيام عمل من وصول المنتج إلى مستودعنا.",
        ),
    ),
    seed(
        "returns-3",
        Returns,
        "exchanges",
        (
            "Can I exchange an item for another size?",
            "هل يمكنني استبدال المنتج بمقاس آخر؟",
        ),
        (
            "Yes: request an exchange from the order page and we collect the item and deliver the new size.",
            "نعم، اطلب الاستبدال من صفحة الطلب فنستلم المنتج ونوصل المقاس الجديد.",
        ),
    ),
    seed(
        "returns-4",
        Returns,
        "policy",
        (
            "Which items cannot be returned?",
            "ما المنتجات التي لا يمكن إرجاعها؟",
        ),
        (
            "Opened personal care items, underwear, gift cards and digital products.",
            "منتجات العناية الشخصية المفتوحة والملابس الداخلية وبطاقات الهدايا والمنتجات الرقمية.",
        ),
    ),
    seed(
        "returns-5",
        Returns,
        "refunds",
        ("Where does the refund go?", "إلى أين يُعاد المبلغ؟"),
        (
            "To the card you paid with, or to your wallet for cash on delivery orders.",
            "إلى البطاقة التي دفعت بها، أو إلى محفظتك لطلبات الدفع عند الاستلام.",
        ),
    ),
    seed(
        "products-1",
        Products,
        "availability",
        (
            "When will an out-of-stock item be back?",
            "متى يتوفر المنتج غير المتوفر؟",
        ),
        (
            "Tap “Notify me” on the product page and we tell you as soon as it is back.",
            "اضغط «أبلغني» في صفحة المنتج وسنخبرك فور توفره.",
        ),
    ),
    seed(
        "products-2",
        Products,
        "warranty",
        (
            "Do electronics have a warranty?",
            "هل للأجهزة الإلكترونية ضمان؟",
        ),
        (
            "Yes, the manufacturer's warranty of at least one year; keep the invoice as proof.",
            "نعم، ضمان الشركة المصنعة لمدة سنة على الأقل، واحتفظ بالفاتورة.",
        ),
    ),
    seed(
        "products-3",
        Products,
        "sellers",
        (
            "Who sells the items on the marketplace?",
            "من يبيع المنتجات في المتجر؟",
        ),
        (
            "We and verified sellers; the seller's name and rating are on every product page.",
            "نحن وبائعون موثّقون، ويظهر اسم البائع وتقييمه في صفحة كل منتج.",
        ),
    ),
    seed(
        "products-4",
        Products,
        "availability",
        ("Is the product original?", "هل المنتج أصلي؟"),
        (
            "Every seller must sell genuine goods; report any doubt and we investigate.",
            "يلتزم كل بائع ببيع منتجات أصلية، وأبلغنا عن أي شك لنتحقق منه.",
        ),
    ),
    seed(
        "products-5",
        Products,
        "warranty",
        (
            "How do I claim a warranty repair?",
            "كيف أطلب إصلاحًا بالضمان؟",
        ),
        (
            "Open a ticket in the Products category with the order number and a photo of the fault.",
            "افتح تذكرة ضمن فئة المنتجات مع رقم الطلب وصورة للعطل.",
        ),
    ),
    seed(
        "technical-1",
        Technical,
        "app",
        (
            "The app keeps closing. What can I do?",
            "التطبيق يغلق فجأة، ماذا أفعل؟",
        ),
        (
            "Update the app, restart your phone and, if it goes on, reinstall it; your account is kept.",
            "حدّث التطبيق وأعد تشغيل الجوال، وإذا استمر أعد تثبيته ويبقى حسابك كما هو.",
        ),
    ),
    seed(
        "technical-2",
        Technical,
        "notifications",
        ("I do not receive notifications.", "لا تصلني الإشعارات."),
        (
            "Allow notifications for the app in your phone's settings and check Account › Notifications.",
            "فعّل إشعارات التطبيق من إعدادات الجوال وتحقق من الحساب › الإشعارات.",
        ),
    ),
    seed(
        "technical-3",
        Technical,
        "loyalty",
        ("How do I earn loyalty points?", "كيف أكسب نقاط الولاء؟"),
        (
            "Every riyal you spend earns a point; reviews, referrals and special dates earn more.",
            "كل ريال تنفقه يمنحك نقطة، والمراجعات والإحالات والمناسبات الخاصة تمنحك المزيد.",
        ),
    ),
    seed(
        "technical-4",
        Technical,
        "loyalty",
        ("When do my points expire?", "متى تنتهي صلاحية نقاطي؟"),
        (
            "Points expire a year after you earn them; the loyalty page shows the next expiry.",
            "تنتهي صلاحية النقاط بعد سنة من كسبها، وتعرض صفحة الولاء أقرب موعد انتهاء.",
        ),
    ),
    seed(
        "technical-5",
        Technical,
        "notifications",
        (
            "How do I stop promotional messages?",
            "كيف أوقف الرسائل الترويجية؟",
        ),
        (
            "Turn off promotions in Account › Notifications; security messages always stay on.",
            "أوقف العروض من الحساب › الإشعارات، وتبقى رسائل الأمان مفعّلة دائمًا.",
        ),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_has_five_entries_on_its_own_topics() {
        for c in Category::ALL {
            let mine: Vec<&Seed> = SEEDS.iter().filter(|s| s.category == *c).collect();
            assert!(mine.len() >= 5, "{c}");
            for s in mine {
                assert!(topics(*c).iter().any(|t| t.key == s.topic), "{}", s.key);
                assert!(!s.question.ar.is_empty() && !s.answer.en.is_empty());
            }
        }
        let mut keys: Vec<&str> = SEEDS.iter().map(|s| s.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), SEEDS.len());
    }
}
