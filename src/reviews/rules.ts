/**
 * The cause rules, as data: for each cause, the phrases a Brazilian customer writes when that is what went
 * wrong. Phrases are matched against the normalised text (see normalise.ts: lower case, no accents, chat
 * abbreviations spelt out), so they are written that way too.
 *
 * Phrase syntax (compiled by classify.ts):
 * - words separated by spaces must follow one another;
 * - `word*` is any word starting with `word` ("atras*": atraso, atrasado, atrasou);
 * - `(a|b*)` is one word out of several; `[a|b]` is one of them or none;
 * - `…` lets up to three small words sit between (articles, pronouns, "ainda", "produto", "pedido" …: the
 *   FILLERS below), so "nao … receb*" finds "não recebi", "ainda não recebi" and "não recebi o produto", but
 *   not "não gostei, recebi quebrado";
 * - `~` lets up to two words of any kind sit between;
 * - `#` is a number ("falta 1").
 * A phrase never reaches across a clause (a full stop, comma, "!" …).
 *
 * Two kinds of phrase:
 * - `phrases` carry their own polarity ("nao recebi", "fora do prazo"): they count wherever they appear;
 * - `negatable` words state a fact that a negation nearby reverses: "atrasou" is a delay, "não atrasou" and
 *   "sem atraso" are not. Such a word does not count when one of NEGATORS stands among the three words
 *   before it in the same clause.
 * A phrase may list `unless`: phrases that, right after the match (small words skipped), show it means
 * something else ("não recebi resposta" is no delay: it is service).
 */
import type { Cause } from './causes.js';

export interface Cue {
  readonly phrase: string;
  readonly unless?: readonly string[];
}

export interface CauseRules {
  readonly cause: Cause;
  readonly phrases: readonly (string | Cue)[];
  readonly negatable: readonly string[];
}

/** Words that reverse a negatable word among the three before it: "não atrasou", "sem defeito", "nunca demorou". */
export const NEGATORS: readonly string[] = ['nao', 'nem', 'sem', 'nunca', 'jamais', 'nenhum', 'nenhuma'];

/** Small words a `…` may skip: articles, pronouns, auxiliaries, time words and the nouns for the order itself. */
export const FILLERS: readonly string[] = [
  'o', 'a', 'os', 'as', 'um', 'uma', 'me', 'se', 'lhe', 'nos', 'te', 'foi', 'foram', 'fui', 'tinha', 'tem', 'havia', 'esta', 'estava', 'ser', 'sido',
  'ainda', 'ate', 'hoje', 'agora', 'mesmo', 'sequer', 'nem', 'ja', 'mais', 'la', 'aqui', 'e', 'de', 'do', 'da', 'meu', 'minha', 'meus', 'minhas',
  'seu', 'sua', 'este', 'esse', 'essa', 'esta', 'isso', 'produto', 'produtos', 'pedido', 'pedidos', 'mercadoria', 'encomenda', 'compra', 'item', 'itens',
  'entrega', 'entregue', 'entregues', 'chegou', 'veio',
];

/** What the customer gets or got back instead of the goods: "não recebi" + one of these is not about delivery. */
const NOT_THE_GOODS = [
  'resposta*', 'retorno', 'contato', 'email*', 'mensage*', 'reembols*', 'estorn*', 'dinheiro', 'nota', 'nenhum*', 'ligac*', 'informac*',
  'satisfac*', 'solucao', 'troca', 'devolu*', 'credito', 'valor', 'codigo', 'boleto', 'cupom',
];

/** Words after "não recebi/veio …" that say a PART of the order is missing or the wrong thing came: not a delay of the whole. */
const PART_OF_THE_ORDER = [
  'correto', 'correta', 'certo', 'certa', 'errado', 'errada', 'completo', 'completa', 'inteiro', 'todos', 'todas', 'tudo', 'restante', 'resto',
  'outro', 'outra', 'outros', 'outras', 'segundo', 'segunda', 'demais', 'igual', 'conforme', 'que (pedi|comprei|encomendei)', 'funcion*', 'ligar',
  'usar',
];

/** Parts and accessories a customer says did not come with the product. */
const PARTS = '(peca*|acessorio*|parafuso*|manual|carregador|cabo|controle|tampa*|kit|item|itens|unidade*|outro|outra|outros|outras|restante|resto|segundo|segunda|bateria|pilha*|fonte|capa*|pe|pes|suporte*|refil|brinde|par)';

export const CAUSE_RULES: readonly CauseRules[] = [
  {
    cause: 'delay',
    phrases: [
      // Not (yet) delivered, never delivered: the commonest complaint, in its many verbs.
      { phrase: '(nao|nunca|jamais) … (cheg*|receb*|entreg*)', unless: [...NOT_THE_GOODS, ...PART_OF_THE_ORDER] },
      { phrase: '(nao|nem|nunca) … (enviad*|enviaram|despach*|postad*|postaram|mandaram|saiu)', unless: [...NOT_THE_GOODS, ...PART_OF_THE_ORDER, PARTS] },
      'entrega nao [foi] (realizada|efetuada|feita)',
      // Still waiting.
      '(ainda|continuo|sigo|estou) (aguard*|esperand*)',
      '(aguard*|esperand*) … (chegada|entrega)',
      '(ate|e) [o] (hoje|agora|momento) nada',
      'nada (do|de) (produto|pedido|entrega|mercadoria|encomenda)',
      'cade',
      'sem previsao',
      // Lost in transit or sent back: it never arrives.
      'extravi*',
      'remetente',
      // The promised date broken.
      'fora (do|de) prazo',
      '(depois|apos|alem) (do|da|de) (prazo|data)',
      'passou (do|o|a) (prazo|data)',
      '(prazo|data) … (passou|venc*|expir*|estour*|esgot*|termin*|acab*|ultrapass*|excedid*)',
      '(ultrapass*|exced*|extrapol*|estour*) … (prazo|data)',
      '(nao|nunca) (cumpr*|respeit*|honr*) … (prazo|data)',
      '(prazo|data) ~ nao [foi] (cumprid*|respeitad*)',
      // Came, but late.
      'chegou [muito] (tarde|depois)',
      '(so|somente|apenas) [foi] (chegou|recebi|entregaram|veio|entregue) (hoje|agora|dia|no|em|depois|apos|semana|mes)',
      '(entrega|envio|transporte|frete) [muito|extremamente|bem] (lent*|demorad*)',
      // Tracking that shows nothing: the customer is chasing a parcel.
      'rastre*',
    ],
    negatable: ['atras*', 'demor*', 'lentid*'],
  },
  {
    cause: 'wrong_or_missing',
    phrases: [
      // The wrong thing came.
      '(outro|outra) (produto|modelo|item|cor|tamanho|marca)',
      '(produto|modelo|cor|tamanho|voltagem|numero|numeracao|marca|quantidade) (diferente|errad*|trocad*|incorret*)',
      '(veio|chegou|recebi|enviaram|mandaram) [um|uma|o|a] [produto] diferente',
      'diferente (do|da|de) [que] (pedido|comprado|solicitado|comprei|pedi|encomendei)',
      'nao (e|era) (o|a) (produto|modelo|cor|tamanho|item) [que] (comprei|pedi|encomendei|solicitei)',
      'nao (e|era) o que (comprei|pedi|encomendei)',
      // Part of the order missing.
      'faltando',
      'falt(ou|aram|am)',
      'falta (um|uma|o|a|os|as|peca*|item|itens|parte*|produto*|acessorio*|parafuso*|#)',
      'nao (veio|vieram|chegou|chegaram|acompanha*|mandaram|enviaram|consta*|recebi) … ' + PARTS,
      '(nao|nunca) … receb* … (todos|todas|restante|resto|outro|outra|outros|outras|segundo|segunda|demais|tudo)',
      '(so|somente|apenas) (veio|vieram|recebi|chegou|chegaram|mandaram|enviaram|entregaram) (um|uma|1|2|3|4|5|dois|duas|tres|parte|metade|o|a|os|as)',
      '(recebi|veio|chegou|chegaram|vieram) (so|somente|apenas) (um|uma|1|2|3|4|5|dois|duas|tres|parte|metade|o|a|os|as)',
      '(recebi|veio|chegou) (um|uma|1) (dos|das)',
      '(recebi|veio|chegou) (metade|parte)',
    ],
    negatable: ['errad*', 'trocad*', 'incomplet*'],
  },
  {
    cause: 'product_quality',
    phrases: [
      // Does not work.
      'nao (funcion*|liga|ligou|carreg*|encaix*|serve|serviu|presta|prestou|acend*|esquent*|gel*|fech*|cabe|coube|conect*|reconhec*|fixa|segura|aquec*|corta|cortou)',
      'parou [de] (funcionar|ligar|carregar)',
      'nao chegou a (funcionar|ligar)',
      '(nao|sem) ~ funcionamento',
      // Not what the listing showed.
      'nao (e|era) (original|genuino)',
      'nao (e|era) ~ (igual|como|conforme|mesmo|mesma) … (foto*|anunci*|descri*|imagem|site|propaganda|mostra*|parece)',
      'diferente (do|da|de|das|dos) (foto*|anunci*|descri*|imagem|imagens|site|propaganda|mostrad*|especifica*)',
      'nao (corresponde|condiz|confere|bate)',
      'propaganda enganosa',
      'engan*',
      '(menor|maior|pequen*|fino|fina|curto|curta) ~ [do] (que|da|do) … (foto*|anunci*|descri*|imagem|esperad*|pensei|parece|mostra*|informad*)',
      // Poor quality.
      '(qualidade|material|acabamento|tecido|costura) [e|muito|bem|extremamente] (ruim|pessim*|inferior|horrivel|baixa|fraco|fraca|duvidosa|precaria|vagabund*)',
      '(pessima|baixa|ma|horrivel|baixissima|sem) qualidade',
      'porcaria',
      'lixo',
      'vagabund*',
      'mal (feito|acabad*|costurad*)',
      'produto [e|muito|bem] (ruim|pessimo|horrivel|fraco|inferior|frageil|fragil)',
      'nao gostei (do|da|dos|das) (produto|qualidade|material|cor|tecido|acabamento|modelo)',
      'nao vale (o|a) (pena|preco|que)',
      'dinheiro jogado fora',
      '(embalagem|caixa) (aberta|violada|danificada|amassada|rasgada)',
    ],
    negatable: [
      'defeit*', 'quebr*', 'danific*', 'estragad*', 'rasgad*', 'amassad*', 'trincad*', 'rachad*', 'riscad*', 'arranhad*', 'furad*', 'manchad*',
      'vazand*', 'vazamento', 'avaria*', 'descascand*', 'desbotad*', 'enferrujad*', 'mofad*', 'falsificad*', 'falso', 'falsa', 'pirata',
      'replica', 'usad*', 'fragil', 'frageis', 'validade', 'vencido',
    ],
  },
  {
    cause: 'service',
    phrases: [
      // No answer, nobody solves it.
      'sem [nenhum|nenhuma|qualquer] (resposta|retorno|solucao|posicionamento|atendimento|contato|satisfacao|suporte|ajuda)',
      '(nao|nunca|ninguem) … (respond*|retorn*|resolv*|solucion*|ajud*|posicion*)',
      '(nenhum|nenhuma) (retorno|contato|resposta|posicionamento|esclarecimento|solucao|satisfacao|informac*)',
      'nao … (recebi|tive|tenho|obtive|deram|dao|da) … (resposta|retorno|satisfacao|informac*|solucao|suporte)',
      // Money back, exchange, return, cancellation.
      'reembols*',
      'estorn*',
      'ressarc*',
      'devolu*',
      'devolv*',
      '(troca|trocar|substituic*)',
      'cancel*',
      '(dinheiro|valor) de volta',
      'meu dinheiro',
      // Billing and invoices.
      'cobr(anca|ado|ada|aram|ou|ando)',
      'nota fiscal',
      '(boleto|fatura|parcela*)',
      // Chasing the store.
      'atendimento',
      'sac',
      '(entrei|entramos|tentei|tento|fiz|faco) … contato',
      '(liguei|ligo|ligamos|mandei|enviei) … (email*|mensage*)',
      'reclam*',
      'procon',
      'protocolo',
      'descaso',
      'desrespeito',
      'falta de respeito',
      '(ninguem|nenhuma) (resolve|responde|atende|ajuda|explica|informa)',
    ],
    negatable: [],
  },
];
